/** What a handler may return, and how each becomes the answer the caller gets. */
import { answerHeaderProblem, isReturnableAnswerHeader, UNJOINABLE_HEADER } from '../protocol.js';

/** A handler's result as the worker sends it to the hub in an answer batch. */
export interface WorkerAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** Headers returned to the caller (lower-case names); each `Set-Cookie` its own value. */
  readonly headers: Record<string, string | string[]>;
  readonly body: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** JSON already written: answered 200 as `application/json`, its text as it is. */
export class JsonText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * - a `JsonText`: 200 with its text as `application/json`, unchanged;
 * - a `Response`: its status, headers and body, as a fetch handler would answer;
 * - `undefined`: 204, no body;
 * - a `Uint8Array`: 200 with those bytes as `application/octet-stream`;
 * - anything else: 200 with the value as JSON.
 */
export async function toWorkerAnswer(result: unknown): Promise<WorkerAnswer> {
  if (result instanceof JsonText) {
    return {
      status: 200,
      contentType: 'application/json',
      headers: {},
      body: Buffer.from(result.text),
    };
  }
  if (result instanceof Response) return checked(await fromResponse(result));
  if (result === undefined)
    return { status: 204, contentType: undefined, headers: {}, body: EMPTY };
  if (result instanceof Uint8Array) {
    return { status: 200, contentType: 'application/octet-stream', headers: {}, body: result };
  }
  return {
    status: 200,
    contentType: 'application/json',
    headers: {},
    body: Buffer.from(JSON.stringify(result)),
  };
}

/** A handler's exception, reported so the caller is not left waiting for its deadline. */
export function failureAnswer(error: unknown): WorkerAnswer {
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 500,
    contentType: 'application/json',
    headers: {},
    body: Buffer.from(JSON.stringify({ error: { code: 'worker_error', message } })),
  };
}

/**
 * A header that the hub would refuse (fetch's `Headers` accepts some that Node
 * will not send) fails this answer alone, as the handler's error: the caller
 * hears a 500 at once, and the batch it travels in still counts.
 */
function checked(answer: WorkerAnswer): WorkerAnswer {
  const problem = answerHeaderProblem(answer.contentType, answer.headers);
  if (problem === undefined) return answer;
  return failureAnswer(new Error(`the handler's response cannot be sent: ${problem}`));
}

async function fromResponse(response: Response): Promise<WorkerAnswer> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    // The hub would drop the others; Content-Type travels in its own field.
    if (isReturnableAnswerHeader(name) && name !== UNJOINABLE_HEADER) headers[name] = value;
  });
  // Each cookie on its own: joined with commas they would be one broken cookie.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers[UNJOINABLE_HEADER] = cookies;
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    headers,
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** What a handler may return, and how each becomes the answer the caller gets. */

/** The HTTP request a worker sends to `POST /jobs/:id`. */
export interface AnswerRequest {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | null;
}

/** Headers the hub refuses to return or sets itself; not worth sending. */
const NOT_RETURNED = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
]);

/**
 * - a `Response`: its status, headers and body, as a fetch handler would answer;
 * - `undefined`: 204, no body;
 * - a `Uint8Array`: 200 with those bytes as `application/octet-stream`;
 * - anything else: 200 with the value as JSON.
 */
export async function toAnswerRequest(result: unknown): Promise<AnswerRequest> {
  if (result instanceof Response) return fromResponse(result);
  if (result === undefined) return { headers: { 'hub-status': '204' }, body: null };
  if (result instanceof Uint8Array) {
    return { headers: { 'content-type': 'application/octet-stream' }, body: result };
  }
  return {
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(result)),
  };
}

/** A handler's exception, reported so the caller is not left waiting for its deadline. */
export function failureAnswer(error: unknown): AnswerRequest {
  const message = error instanceof Error ? error.message : String(error);
  const body = JSON.stringify({ error: { code: 'worker_error', message } });
  return {
    headers: { 'content-type': 'application/json', 'hub-status': '500' },
    body: Buffer.from(body),
  };
}

async function fromResponse(response: Response): Promise<AnswerRequest> {
  const headers: Record<string, string> = { 'hub-status': String(response.status) };
  response.headers.forEach((value, name) => {
    if (!NOT_RETURNED.has(name)) headers[`hub-header-${name}`] = value;
  });
  const contentType = response.headers.get('content-type');
  if (contentType !== null) headers['content-type'] = contentType;
  const body = new Uint8Array(await response.arrayBuffer());
  return { headers, body: body.byteLength === 0 ? null : body };
}

import { Cancel } from '../domain/cancel.js';
import { ErrorCode, HubError } from '../errors.js';
import { isJsonMediaType } from '../protocol.js';
import { FrameRequest } from './frame-request.js';
import type { RequestFrame } from './frames.js';
import type { FrameSink } from './worker-session.js';

/** Serves one request as an HTTP request would be: the app's own `fetch`. */
export type Dispatch = (request: Request) => Response | Promise<Response>;

/** The base of the URLs request frames are dispatched to; only the path and query matter. */
const FRAME_ORIGIN = 'http://ws.switchboard';

/**
 * The caller side of one socket ([P-WS-CALLER]): wsrest's request frames, each
 * dispatched to the same route table as an HTTP request (`app.fetch`), answered
 * with a response frame of the same uid as each completes, in any order. When
 * the socket closes, the calls still in flight are cancelled as a departed HTTP
 * caller's are.
 */
export class CallerSession {
  readonly #dispatch: Dispatch;
  readonly #sink: FrameSink;
  readonly #maxInFlight: number;
  /** The socket's own `Authorization`, given to every request it sends. */
  readonly #authorization: () => string | undefined;
  readonly #inFlight = new Map<string, Cancel>();

  constructor(
    dispatch: Dispatch,
    sink: FrameSink,
    options: { maxInFlight: number; authorization: () => string | undefined },
  ) {
    this.#dispatch = dispatch;
    this.#sink = sink;
    this.#maxInFlight = options.maxInFlight;
    this.#authorization = options.authorization;
  }

  async request(frame: RequestFrame): Promise<void> {
    if (this.#inFlight.has(frame.uid)) {
      throw new HubError(
        ErrorCode.InvalidFrame,
        `uid '${frame.uid.slice(0, 40)}' is already in flight`,
      );
    }
    if (this.#inFlight.size >= this.#maxInFlight) {
      throw new HubError(
        ErrorCode.InvalidFrame,
        `at most ${this.#maxInFlight} requests are in flight per socket (HUB_WS_MAX_IN_FLIGHT)`,
      );
    }
    const gone = new Cancel();
    this.#inFlight.set(frame.uid, gone);
    try {
      const headers = new Headers(frame.headers);
      // The socket's credentials, never a frame's own: one socket, one token.
      headers.delete('authorization');
      const authorization = this.#authorization();
      if (authorization !== undefined) headers.set('authorization', authorization);
      const body = frame.method === 'GET' || frame.method === 'HEAD' ? undefined : frame.body;
      const request = new FrameRequest(FRAME_ORIGIN + frame.route, {
        method: frame.method,
        headers,
        body,
        signal: gone,
      });
      // The route table reads only what FrameRequest has (see there).
      const response = await this.#dispatch(request as unknown as Request);
      this.#sink.send(await responseFrame(frame, response));
    } finally {
      this.#inFlight.delete(frame.uid);
    }
  }

  /**
   * The caller gave a request up: it ends as a departed HTTP caller's does (a
   * queued job is withdrawn) and its uid is answered 499 `cancelled`. A uid no
   * longer in flight was answered already: nothing to do.
   */
  cancel(uid: string): void {
    this.#inFlight.get(uid)?.abort();
  }

  /** The socket closed: its callers have gone. */
  close(): void {
    for (const gone of this.#inFlight.values()) gone.abort();
    this.#inFlight.clear();
  }
}

/**
 * `{"uid", "m", "r", "c", "h", "d" | "d64"}`: a JSON body as its value (`d`), any
 * other as base64 (`d64`), none when empty.
 */
async function responseFrame(frame: RequestFrame, response: Response): Promise<string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const head = { uid: frame.uid, m: frame.method, r: frame.route, c: response.status, h: headers };
  if (bytes.byteLength === 0) return JSON.stringify(head);
  const contentType = response.headers.get('content-type');
  if (contentType !== null && isJsonMediaType(contentType)) {
    const text = bytes.toString('utf8');
    // Spliced in as the worker sent it: never parsed and re-encoded.
    if (isJson(text)) return `${JSON.stringify(head).slice(0, -1)},"d":${text}}`;
  }
  return JSON.stringify({ ...head, d64: bytes.toString('base64') });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A response frame for a request that could not be made: 400 for a frame the
 * channel refused (`invalid_frame`), 500 for a fault of the hub's own.
 */
export function errorResponseFrame(
  uid: string,
  request: { m?: string; r?: string },
  error: HubError,
): string {
  return JSON.stringify({
    uid,
    ...request,
    c: error.code === ErrorCode.Internal ? 500 : 400,
    h: { 'content-type': 'application/json', 'hub-error': error.code },
    d: { error: { code: error.code, message: error.message } },
  });
}

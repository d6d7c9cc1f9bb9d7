import { Cancel } from '../domain/cancel.js';
import { ErrorCode, HubError } from '../errors.js';
import { DASHBOARD_EVENTS_PATH, isJsonMediaType, WS_PATH } from '../protocol.js';
import { FrameRequest } from './frame-request.js';
import { FrameError, type RequestFrame } from './frames.js';
import type { FrameSink } from './worker-session.js';

/** Serves one request as an HTTP request would be: the app's own `fetch`. */
export type Dispatch = (request: Request) => Response | Promise<Response>;

/** The base of the URLs request frames are dispatched to; only the path and query matter. */
const FRAME_ORIGIN = 'http://ws.switchboard';

/**
 * Routes whose responses never end: a request frame reads its response to the
 * end, so these are refused before they start ([P-WS-CALLER]).
 */
const STREAM_PATHS: ReadonlySet<string> = new Set([WS_PATH, DASHBOARD_EVENTS_PATH]);

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
    const path = frame.route.split('?', 1)[0] ?? '';
    if (STREAM_PATHS.has(path)) {
      throw new FrameError(
        frame.uid,
        `${path} is a stream: open it over HTTP, not as a request frame`,
      );
    }
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
      // With auth on, the socket's credentials, never a frame's own: one socket, one
      // token. With auth off the socket has none, and a frame's Authorization is a
      // header like any other, as over HTTP: it keeps each user's idempotency keys
      // apart when a gateway sends many users' calls on one socket.
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
      const answer = await readBody(response, gone);
      if (answer === STREAM) {
        throw new FrameError(frame.uid, `${path} answered with a stream: open it over HTTP`);
      }
      this.#sink.send(
        answer === undefined
          ? errorResponseFrame(frame.uid, { m: frame.method, r: frame.route }, CANCELLED)
          : responseFrame(frame, response, answer),
      );
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
function responseFrame(frame: RequestFrame, response: Response, bytes: Buffer): string {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // Set-Cookie lines cannot be joined into one: each is its own, in a list.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 1) headers['set-cookie'] = cookies;
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

const CANCELLED = new HubError(ErrorCode.Cancelled, 'the request was cancelled');

/** What `readBody` returns for an event stream, whose end never comes. */
const STREAM = Symbol('stream');

/**
 * A response's body, read to its end; undefined when `gone` aborts first (the
 * read is cancelled, so the route's own clean-up runs), `STREAM` (cancelled at
 * once) for a body of server-sent events.
 */
async function readBody(
  response: Response,
  gone: Cancel,
): Promise<Buffer | undefined | typeof STREAM> {
  const stream = response.body;
  if (stream === null) return Buffer.alloc(0);
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await stream.cancel();
    return STREAM;
  }
  if (gone.aborted) {
    await stream.cancel();
    return undefined;
  }
  const reader = stream.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  gone.addEventListener('abort', stop);
  try {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    return gone.aborted ? undefined : Buffer.concat(chunks);
  } finally {
    gone.removeEventListener('abort', stop);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The statuses of the errors a caller session answers itself (the routes' own come with their responses). */
const FRAME_ERROR_STATUS: Partial<Record<string, number>> = {
  [ErrorCode.Internal]: 500,
  [ErrorCode.Cancelled]: 499,
};

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
    c: FRAME_ERROR_STATUS[error.code] ?? 400,
    h: { 'content-type': 'application/json', 'hub-error': error.code },
    d: { error: { code: error.code, message: error.message } },
  });
}

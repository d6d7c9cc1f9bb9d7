import type { Grant } from '../auth.js';
import { Cancel } from '../domain/cancel.js';
import { ErrorCode, HubError } from '../errors.js';
import { authorize } from '../exchange/authorize.js';
import { errorReply, failureReply, payloadTooLarge } from '../exchange/error-status.js';
import { type ExchangeMatch, type ExchangeMatcher, isPlainTarget } from '../exchange/match.js';
import { eachHeader, type Reply } from '../exchange/reply.js';
import { binaryFrame, DASHBOARD_EVENTS_PATH, isJsonMediaType, WS_PATH } from '../protocol.js';
import { FrameRequest } from './frame-request.js';
import { FrameError, type RequestFrame } from './frames.js';
import type { FrameSink } from './worker-session.js';

/** Serves one request as an HTTP request would be: the app's own `fetch`. */
export type Dispatch = (request: Request) => Response | Promise<Response>;

/**
 * Where request frames go: the table's exchanges straight to their handlers
 * (`match`); anything else (the admin and ops routes, a target the matcher does
 * not read as Hono would) to the app as a fetch `Request` (`app`).
 */
export interface CallerRoutes {
  readonly match: ExchangeMatcher;
  readonly app: Dispatch;
}

/** The base of the URLs request frames are sent to the app with; only the path and query matter. */
const FRAME_ORIGIN = 'http://ws.switchboard';

/**
 * Routes whose responses never end: a request frame reads its response to the
 * end, so these are refused before they start ([P-WS-CALLER]).
 */
const STREAM_PATHS: ReadonlySet<string> = new Set([WS_PATH, DASHBOARD_EVENTS_PATH]);

export interface CallerSessionOptions {
  readonly maxInFlight: number;
  /** switchboard.v2: responses as binary frames, their bodies as bytes. */
  readonly binary: boolean;
  /** The socket's grant: undefined while auth is off. */
  readonly grant: () => Grant | undefined;
  /** The socket's own `Authorization`, given to every request it sends (auth on). */
  readonly authorization: () => string | undefined;
}

/**
 * The caller side of one socket ([P-WS-CALLER]): wsrest's request frames, each
 * served by the same exchange as an HTTP request of its method and route, and
 * answered with a response frame of the same uid as each completes, in any
 * order. When the socket closes, the calls still in flight are cancelled as a
 * departed HTTP caller's are.
 */
export class CallerSession {
  readonly #routes: CallerRoutes;
  readonly #sink: FrameSink;
  readonly #options: CallerSessionOptions;
  readonly #inFlight = new Map<string, Cancel>();

  constructor(routes: CallerRoutes, sink: FrameSink, options: CallerSessionOptions) {
    this.#routes = routes;
    this.#sink = sink;
    this.#options = options;
  }

  async request(frame: RequestFrame): Promise<void> {
    const queryStart = frame.route.indexOf('?');
    const path = queryStart === -1 ? frame.route : frame.route.slice(0, queryStart);
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
    if (this.#inFlight.size >= this.#options.maxInFlight) {
      throw new HubError(
        ErrorCode.InvalidFrame,
        `at most ${this.#options.maxInFlight} requests are in flight per socket (HUB_WS_MAX_IN_FLIGHT)`,
      );
    }
    const gone = new Cancel();
    this.#inFlight.set(frame.uid, gone);
    try {
      const found = isPlainTarget(frame.route) ? this.#routes.match(frame.method, path) : undefined;
      const reply = found
        ? await this.#exchange(frame, found, gone)
        : await this.#throughApp(frame, path, gone);
      const answer = gone.aborted || reply === undefined ? errorReply(CANCELLED) : reply;
      if (this.#options.binary) this.#sink.send(binaryResponseFrame(frame, answer), true);
      else this.#sink.send(responseFrame(frame, answer));
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

  /** A table exchange, as the fast path serves one: access, body limit, handler. */
  async #exchange(frame: RequestFrame, { exchange, params }: ExchangeMatch, gone: Cancel) {
    const grant = this.#options.grant();
    const request = new FrameRequest(frame, params, grant, this.#options.authorization(), gone);
    try {
      if (grant) await authorize(grant, exchange, request);
      const length = frame.body?.byteLength ?? 0;
      if (exchange.maxBodyBytes !== undefined && length > exchange.maxBodyBytes) {
        throw payloadTooLarge(exchange.maxBodyBytes);
      }
      const reply = await exchange.handle(request);
      // A stream does nothing until opened: refusing it leaves nothing behind.
      if (reply.stream) {
        throw new HubError(
          ErrorCode.InvalidFrame,
          `${exchange.name} answers with a stream: open it over HTTP, or subscribe on the socket`,
        );
      }
      return reply;
    } catch (error) {
      return failureReply(error);
    }
  }

  /** Any other route, through the app's own `fetch`; undefined when the caller left first. */
  async #throughApp(frame: RequestFrame, path: string, gone: Cancel): Promise<Reply | undefined> {
    const headers = new Headers(frame.headers);
    // With auth on, the socket's credentials, never a frame's own: one socket, one
    // token. With auth off the socket has none, and a frame's Authorization is a
    // header like any other, as over HTTP.
    const authorization = this.#options.authorization();
    if (authorization !== undefined) headers.set('authorization', authorization);
    const bodyless = frame.method === 'GET' || frame.method === 'HEAD';
    const abort = new AbortController();
    gone.addEventListener('abort', () => abort.abort());
    const response = await this.#routes.app(
      new Request(FRAME_ORIGIN + frame.route, {
        method: frame.method,
        headers,
        body: bodyless ? null : (frame.body ?? null),
        signal: abort.signal,
      }),
    );
    const body = await readBody(response, gone);
    if (body === STREAM) {
      throw new FrameError(frame.uid, `${path} answered with a stream: open it over HTTP`);
    }
    if (body === undefined) return undefined;
    const raw: string[] = [];
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') raw.push(name, value);
    });
    for (const cookie of response.headers.getSetCookie()) raw.push('set-cookie', cookie);
    return { status: response.status, headers: raw, body };
  }
}

/** A response frame of switchboard.v2: `{"uid", "m", "r", "c", "h"}`, a newline, the body's bytes. */
function binaryResponseFrame(frame: RequestFrame, reply: Reply): Buffer {
  const { body } = reply;
  const bytes = body === null ? EMPTY : typeof body === 'string' ? Buffer.from(body) : body;
  return binaryFrame(JSON.stringify(responseHead(frame, reply).head), bytes);
}

const EMPTY = new Uint8Array(0);

/** A response frame's head, and the reply's content type. */
function responseHead(frame: RequestFrame, reply: Reply) {
  const headers: Record<string, string | string[]> = {};
  let contentType: string | undefined;
  eachHeader(reply.headers, (name, value) => {
    if (name === 'content-type') contentType = value;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else headers[name] = typeof seen === 'string' ? [seen, value] : [...seen, value];
  });
  const head = { uid: frame.uid, m: frame.method, r: frame.route, c: reply.status, h: headers };
  return { head, contentType };
}

/**
 * `{"uid", "m", "r", "c", "h", "d" | "d64"}`: a JSON body as its value (`d`),
 * spliced in as the worker sent it, never parsed and re-encoded; any other as
 * base64 (`d64`); none when empty. A header that repeats (`Set-Cookie`) is a list.
 */
function responseFrame(frame: RequestFrame, reply: Reply): string {
  const { head, contentType } = responseHead(frame, reply);
  const { body } = reply;
  if (body === null || body.length === 0) return JSON.stringify(head);
  if (contentType !== undefined && isJsonMediaType(contentType)) {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    if (isJson(text)) return `${JSON.stringify(head).slice(0, -1)},"d":${text}}`;
  }
  const bytes =
    typeof body === 'string'
      ? Buffer.from(body)
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
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
): Promise<Uint8Array | undefined | typeof STREAM> {
  const stream = response.body;
  if (stream === null) return new Uint8Array(0);
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

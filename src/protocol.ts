/**
 * The wire contract shared by the hub's HTTP server (and the WebSocket channel to
 * come) and the SDK: header names, names and limits, which headers cross the hub,
 * the job a worker receives, answer batches, the error body and the status
 * figures. A leaf: it imports nothing of ours, so the SDK carries no hub code.
 * docs/protocol.md is the prose version of this file.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';

/** Header names, lower-case as Node delivers them. */
export const Header = {
  /** Caller's deadline or worker's poll wait, in milliseconds. */
  Timeout: 'hub-timeout',
  /** How long a call's job may wait for a worker to take it, in milliseconds. */
  QueueTimeout: 'hub-queue-timeout',
  /** Hand-outs a caller allows its job, from 1 to `HUB_MAX_ATTEMPTS`. */
  MaxAttempts: 'hub-max-attempts',
  /** `queue`: park the call even when no worker has been seen (scale-from-zero). */
  NoWorkers: 'hub-no-workers',
  /** Coalesces calls that carry the same key (and the same request) into one job. */
  IdempotencyKey: 'idempotency-key',
  /** RFC 7240: `respond-async`, optionally with `wait=<seconds>`. */
  Prefer: 'prefer',
  /** A worker's name for itself, as `GET /services` lists it. */
  Worker: 'hub-worker',
  /** The status a worker's answer gives its caller. */
  Status: 'hub-status',
  /** Present on every error the hub itself produces, with its code. */
  Error: 'hub-error',
  /** A call's flow id ([P-FLOW]): taken from the caller, or made; on the job and the response. */
  FlowId: 'hub-flow-id',
  /** W3C Trace Context: its trace id is a call's flow id. */
  TraceParent: 'traceparent',
  /** A published message's id, on the publish's response. */
  MessageId: 'hub-message-id',
  /** On a cursor read: ids after the cursor that retention removed before it got to them. */
  Skipped: 'hub-skipped',
} as const;

/**
 * The WebSocket channel's versioned subprotocols (`GET /ws`, docs/websocket.md).
 * v1: JSON text frames only, bodies as JSON values or base64. v2: the same
 * frames, and binary frames that carry a body as its bytes (`binaryFrame`).
 */
export const WS_SUBPROTOCOL = 'switchboard.v1';
export const WS_SUBPROTOCOL_V2 = 'switchboard.v2';

/**
 * A v2 binary frame: a frame's JSON head (as its text frame would be, without
 * the body's fields), a newline, then the body's exact bytes. JSON text holds no
 * raw newline, so the first one ends the head.
 */
export function binaryFrame(head: string, body: Uint8Array): Buffer {
  const NEWLINE = 0x0a;
  const frame = Buffer.allocUnsafe(Buffer.byteLength(head) + 1 + body.byteLength);
  const at = frame.write(head, 0, 'utf8');
  frame[at] = NEWLINE;
  frame.set(body, at + 1);
  return frame;
}

/** A binary frame's head text and body bytes (a view); undefined without the newline. */
export function splitBinaryFrame(frame: Buffer): { head: string; body: Buffer } | undefined {
  const end = frame.indexOf(0x0a);
  if (end === -1) return undefined;
  return { head: frame.toString('utf8', 0, end), body: frame.subarray(end + 1) };
}

/** The path of the WebSocket channel, below the hub's base URL. */
export const WS_PATH = '/ws';

/**
 * The refusal of a request or socket that sent no token where auth is on: the
 * same words over HTTP, as a WebSocket's 4401 close reason, and in the SDK.
 */
export const TOKEN_NEEDED = 'this hub needs a token, and none was sent';

/** The dashboard's server-sent events: a stream, never a request frame's route. */
export const DASHBOARD_EVENTS_PATH = '/ui/events';

/** The largest frame a socket may send before it has authenticated: an `auth` frame and room to spare. */
export const WS_AUTH_FRAME_MAX_BYTES = 8 * 1024;

/** Close codes the hub uses on the channel (docs/websocket.md). */
export const CloseCode = {
  /** The hub is shutting down. */
  GoingAway: 1001,
  /** A binary frame: the channel speaks JSON text frames only. */
  UnsupportedData: 1003,
  /** Too many malformed frames: a client this broken is cut rather than answered for ever. */
  PolicyViolation: 1008,
  /** A frame larger than `HUB_WS_MAX_FRAME_BYTES`, or before auth over `WS_AUTH_FRAME_MAX_BYTES` (ws closes with it itself). */
  TooBig: 1009,
  /** The token authenticated by an `auth` frame already has `HUB_WS_MAX_SOCKETS_PER_TOKEN` sockets. */
  TryAgainLater: 1013,
  /** No token, or an unknown one, where auth is on: as final as a 401. */
  Unauthorized: 4401,
  /** A topic subscriber left more than `HUB_TOPIC_SUBSCRIBER_BUFFER_BYTES` unread: resume after the reason's `lastId`. */
  SubscriberTooSlow: 4408,
  /** The subscribed topic was deleted. */
  TopicDeleted: 4410,
  /** The store could not be read: resume after the reason's `lastId`. */
  StoreUnavailable: 4503,
} as const;

/** Where msgbus's clients subscribe, by WebSocket or event stream: `/topics/<topic>`. */
export const TOPICS_PATH = '/topics';

/** A `Hub-Flow-Id` a caller may send: 1 to 128 visible ASCII characters. */
export const FLOW_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** A W3C `traceparent`: version, trace id, parent id, flags; its trace id is not all zeros. */
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;

/**
 * A call's flow id ([P-FLOW]): the trace id of a valid `traceparent`, else a
 * valid `Hub-Flow-Id`, else undefined (the hub then makes one).
 */
export function flowIdOf(traceparent: string | undefined, flowId: string | undefined) {
  const traceId =
    traceparent === undefined ? undefined : TRACEPARENT_PATTERN.exec(traceparent)?.[1];
  if (traceId !== undefined && !/^0+$/.test(traceId)) return traceId;
  return flowId !== undefined && FLOW_ID_PATTERN.test(flowId) ? flowId : undefined;
}

/** A worker's `Hub-Worker` name: 1 to 128 visible ASCII characters. */
export const WORKER_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The longest service name, in characters. */
export const MAX_SERVICE_NAME_LENGTH = 128;

/** Letters, digits, `.`, `_` and `-`; starts with a letter or digit; 1 to 128 characters. */
export const SERVICE_NAME_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_SERVICE_NAME_LENGTH - 1}}$`,
);

/** AstroHub routed any path segment; its users named services such as `math:add`. */
export const ASTROHUB_SERVICE_NAME_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_SERVICE_NAME_LENGTH - 1}}$`,
);

/** A topic's name ([P-TOPIC-NAME]): a service name's characters, and `:`, as event names often have. */
export const TOPIC_NAME_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_SERVICE_NAME_LENGTH - 1}}$`,
);

/** The most jobs one batch take hands out, and the most answers the SDK puts in one batch. */
export const MAX_BATCH_JOBS = 100;

/**
 * Bytes of bodies a batch carries beside its first job or answer: small ones
 * travel together, a large one travels with few others, and a batch of large
 * bodies never becomes one huge message that holds up the jobs behind it.
 */
export const BATCH_COMPANION_BYTES = 64 * 1024;

/** The most answers one answer batch (`POST /jobs`) carries; the body limit bounds their bytes. */
export const MAX_BATCH_ANSWERS = 1000;

/** The longest failure report (`POST /jobs/:id/fail`) read, in bytes. */
export const MAX_FAILURE_BYTES = 16 * 1024;

/** The longest failure message kept; a longer one is cut to this many characters. */
export const MAX_FAILURE_MESSAGE = 1000;

/**
 * Room in an answer batch beyond the body limit: the SDK puts at most one large
 * answer in a batch, with small ones and their heads up to `BATCH_COMPANION_BYTES`
 * beside it.
 */
export const BATCH_FRAMING_BYTES = 256 * 1024;

/** Hop-by-hop headers (RFC 9110 §7.6.1) and framing the hub redoes itself. */
const CONNECTION_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
];

/**
 * Request headers a worker never sees: connection headers, `Host` and `Expect`,
 * `Content-Type` (it travels as the job's `contentType`), and credentials meant
 * for the hub or the gateway. `Hub-*` headers are instructions to the hub.
 */
const WITHHELD_REQUEST_HEADERS = new Set([
  ...CONNECTION_HEADERS,
  'host',
  'expect',
  'content-type',
  'authorization',
  'proxy-authorization',
  'proxy-authenticate',
  'cookie',
]);

/** Answer headers a worker cannot return: connection headers, and `Content-Type`, which has its own field. */
const WITHHELD_ANSWER_HEADERS = new Set([...CONNECTION_HEADERS, 'content-type']);

/** [P-FORWARD]: whether a caller's request header (lower-case) reaches the worker. */
export function isForwardedRequestHeader(name: string): boolean {
  return !WITHHELD_REQUEST_HEADERS.has(name) && !name.startsWith('hub-');
}

/** [P-ANSWER-HEADERS]: whether a worker may return this header (lower-case) to its caller. */
export function isReturnableAnswerHeader(name: string): boolean {
  return name !== '' && !WITHHELD_ANSWER_HEADERS.has(name) && !name.startsWith('hub-');
}

/** A plain answer returns a header to its caller by prefixing it: `Hub-Header-Cache-Control`. */
export const RETURNED_HEADER_PREFIX = 'hub-header-';

/** A header whose values cannot be joined with commas: each value travels on its own line. */
export const UNJOINABLE_HEADER = 'set-cookie';

/**
 * The caller's headers of an answer that names them without the `Hub-Header-`
 * prefix (an answer batch's head, a WebSocket answer frame); the same ones are
 * dropped. A value may be a list (each `Set-Cookie`), and names that differ
 * only in case are one header: their values are kept together, in order.
 */
export function answerHeadersOf(
  headers: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | string[]> {
  // No prototype: a header named `constructor` or `__proto__` is a header like any other.
  const returned: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    const target = name.toLowerCase();
    if (!isReturnableAnswerHeader(target)) continue;
    const before = returned[target];
    const values = typeof value === 'string' ? [value] : value;
    if (before === undefined) {
      returned[target] = typeof value === 'string' ? value : [...value];
    } else {
      const joined = [...(typeof before === 'string' ? [before] : before), ...values];
      returned[target] = target === UNJOINABLE_HEADER ? joined : joined.join(', ');
    }
  }
  return returned;
}

/** True for `application/json` and any `+json` media type, whatever its parameters. */
export function isJsonMediaType(contentType: string): boolean {
  // What nearly every JSON client sends, decided without splitting and lowering it.
  if (contentType === 'application/json') return true;
  const mediaType = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * The most bytes of headers (`name: value` lines) an answer may return to its
 * caller: Node's default `maxHeaderSize`, what an HTTP answer's `Hub-Header-*`
 * lines can carry at most, and what most HTTP clients accept.
 */
export const MAX_ANSWER_HEADER_BYTES = 16 * 1024;

/**
 * Why an answer's headers cannot be sent to its caller, or `undefined` when they
 * can: each name and value must pass Node's own checks, the ones the caller's
 * response would otherwise fail. The hub refuses such an answer, and the SDK
 * turns it into a 500 before sending: one rule, here, for both.
 */
export function answerHeaderProblem(contentType: unknown, headers: unknown): string | undefined {
  if (contentType !== undefined && !isHeaderValue(contentType)) {
    return 'the content type is not a valid header value';
  }
  if (headers === undefined) return undefined;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    return '`headers` must be an object of header names to values';
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (!isHeaderName(name) || values.length === 0 || !values.every(isHeaderValue)) {
      return `header '${name.slice(0, 40)}' is not a valid HTTP header`;
    }
    for (const line of values as string[]) bytes += name.length + line.length + 4;
  }
  if (bytes > MAX_ANSWER_HEADER_BYTES) {
    return `the headers come to ${bytes} bytes; at most ${MAX_ANSWER_HEADER_BYTES} are returned to a caller`;
  }
  return undefined;
}

/** True for a name Node would send as a header name. */
export function isHeaderName(name: string): boolean {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
}

/** True for a string Node would send as a header value. */
export function isHeaderValue(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    validateHeaderValue('x', value);
    return true;
  } catch {
    return false;
  }
}

/** The JSON body of every error the hub produces. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** A job as a worker receives it from `GET /service/:name/jobs`. */
export interface WireJob {
  /** This hand-out's id: answer, heartbeat and fail with it. A new one for each attempt. */
  readonly id: string;
  readonly service: string;
  /** 1 for the first hand-out. */
  readonly attempt: number;
  /** Epoch milliseconds after which the caller no longer waits. */
  readonly deadline: number;
  /** Milliseconds left before the deadline when the job was sent: needs no synchronized clock. */
  readonly remainingMs: number;
  /** The lease: answer, fail or heartbeat within this many milliseconds, or the job is handed on. */
  readonly leaseMs: number;
  /** The caller's method: `POST` for `/service/:name`, anything for `/call/:name/...`. */
  readonly method: string;
  /** The path below the service, starting with `/`, percent-encoded as the caller sent it. */
  readonly path: string;
  /** The raw query string without `?`; empty when there was none. */
  readonly query: string;
  /** The caller's JSON value itself; or, with `encoding: 'base64'`, its raw bytes. */
  readonly originalRequest: unknown;
  readonly encoding?: 'base64';
  readonly contentType?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The call's flow id ([P-FLOW]), for the worker's own logs and onward calls. */
  readonly flowId: string;
}

/**
 * The media type of an answer batch (`POST /jobs`): one line of JSON, an array of
 * `WireAnswerHead`, then a newline, then the answers' bodies back to back, each
 * exactly `length` bytes. Bodies travel as they are: no escaping, no base64.
 */
export const ANSWER_BATCH_TYPE = 'application/vnd.switchboard.answers';

/** One answer's head in an answer batch; its body follows the head line, in order. */
export interface WireAnswerHead {
  /** The delivery's id, as `POST /jobs/:id` takes it. */
  readonly id: string;
  /** The status the caller gets. @default 200 */
  readonly status?: number;
  readonly contentType?: string;
  /**
   * Headers returned to the caller, as `Hub-Header-*` returns them (without the
   * prefix); a list sends the header once per value (each `Set-Cookie`).
   */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The body's length in bytes. */
  readonly length: number;
}

/** What `POST /jobs` answers: each answer's outcome in the batch's order, and the jobs `?next=` took. */
export interface WireBatchResult {
  readonly outcomes: readonly { readonly id: string; readonly error?: ErrorBody['error'] }[];
  readonly jobs: readonly WireJob[];
}

/**
 * The counters `GET /status` keeps for each service and in total, in the order
 * `switchboard status` shows them. `redelivered`: hand-outs whose lease expired or
 * whose worker reported a retryable failure; `failed`: calls that ended in
 * `worker_failed`; `rejected`: calls refused before they were queued.
 */
export const SERVICE_COUNTERS = [
  'calls',
  'answered',
  'timedOut',
  'cancelled',
  'rejected',
  'redelivered',
  'failed',
] as const;

export type ServiceCounter = (typeof SERVICE_COUNTERS)[number];

/**
 * What `GET /status` shows of each service now: jobs queued, jobs held by
 * workers, polls parked (a WebSocket's takes among them), and the WebSocket
 * sockets serving it on this hub.
 */
export const SERVICE_GAUGES = ['queued', 'inFlight', 'waitingWorkers', 'webSocketWorkers'] as const;

/** The figures of `GET /status`: each gauge and counter, summed over services for `total`. */
export const SERVICE_FIGURES = [...SERVICE_GAUGES, ...SERVICE_COUNTERS] as const;

export type ServiceFigure = (typeof SERVICE_FIGURES)[number];

/** Per-service figures, as `GET /status` shows them. */
export type ServiceStats = { readonly service: string } & { readonly [K in ServiceFigure]: number };

/** The body of `GET /status`. */
export interface HubStatus {
  readonly ready: boolean;
  /** `memory`, or `redis`: then the queue figures are every replica's, read from Redis. */
  readonly store: 'memory' | 'redis';
  /**
   * The replica that answered (host name and process id): the figures kept in
   * a process (parked calls and polls, waiting and WebSocket workers) are its own.
   */
  readonly replica: string;
  /** Callers waiting for an answer (sync calls, and async ones waiting with `Prefer: wait`): this replica's. */
  readonly parkedCalls: number;
  /** Polls and WebSocket takes parked: this replica's. */
  readonly parkedPolls: number;
  readonly total: Omit<ServiceStats, 'service'>;
  readonly services: ServiceStats[];
  /** Webhooks registered, and the dead letters they keep (docs/events.md): every replica's. */
  readonly webhooks: { readonly registered: number; readonly deadLetters: number };
}

/** The most events one `batch` event may carry (docs/events-protocol.md). */
export const MAX_BATCH_EVENTS = 100;

/** How many of a `parallel` batch's events are in flight at once; the rest wait their turn. */
export const BATCH_CONCURRENCY = 8;

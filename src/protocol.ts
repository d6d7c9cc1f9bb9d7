/**
 * The wire format shared by the HTTP server and (later) the WebSocket channel and
 * the SDK: header names, the job a worker receives, and the error body.
 * docs/protocol.md is the prose version of this file.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Delivery } from './core/types.js';

export { SERVICE_NAME_PATTERN } from './core/service-name.js';
export { BATCH_COMPANION_BYTES, MAX_BATCH_JOBS } from './core/types.js';

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
} as const;

/** A worker's `Hub-Worker` name: 1 to 128 visible ASCII characters. */
export const WORKER_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** True for `application/json` and any `+json` media type, whatever its parameters. */
export function isJsonMediaType(contentType: string): boolean {
  const mediaType = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

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
  for (const [name, value] of Object.entries(headers)) {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (!isHeaderName(name) || values.length === 0 || !values.every(isHeaderValue)) {
      return `header '${name.slice(0, 40)}' is not a valid HTTP header`;
    }
  }
  return undefined;
}

function isHeaderName(name: string): boolean {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
}

function isHeaderValue(value: unknown): value is string {
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
}

/**
 * Serializes a job for a worker. A JSON body is spliced in as it came, never
 * parsed and re-encoded; any other body, or every body when the worker asks for
 * `base64` (to get the caller's exact bytes), travels as base64.
 */
export function encodeJob(delivery: Delivery, options: { base64?: boolean } = {}): Buffer {
  return Buffer.concat(jobParts(delivery, options));
}

/**
 * Serializes a batch take's jobs as a JSON array, each as `encodeJob` writes it.
 * The parts of every job are joined in one copy, so a body is copied once.
 */
export function encodeJobs(
  deliveries: readonly Delivery[],
  options: { base64?: boolean } = {},
): Buffer {
  const parts: Uint8Array[] = [OPEN_BRACKET];
  deliveries.forEach((delivery, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(...jobParts(delivery, options));
  });
  parts.push(CLOSE_BRACKET);
  return Buffer.concat(parts);
}

/**
 * A job's JSON as pieces: the fields, then the caller's body as it came (when
 * JSON). One template string: ids (nanoid), service names (their pattern) and
 * methods (HTTP tokens) hold no character JSON would escape, so only the
 * caller's path, query, headers and content type go through JSON.stringify.
 */
function jobParts(delivery: Delivery, { base64 = false }: { base64?: boolean }): Uint8Array[] {
  const { job } = delivery;
  const { payload } = job;
  const contentType =
    payload.contentType === undefined
      ? ''
      : `,"contentType":${JSON.stringify(payload.contentType)}`;
  const fields =
    `{"id":"${delivery.id}","service":"${job.service}","attempt":${delivery.attempt}` +
    `,"deadline":${job.deadline},"remainingMs":${Math.max(0, job.deadline - Date.now())}` +
    `,"leaseMs":${delivery.leaseMs},"method":"${payload.method}"` +
    `,"path":${JSON.stringify(payload.path)},"query":${JSON.stringify(payload.query)}` +
    `,"headers":${JSON.stringify(payload.headers)}${contentType}`;
  if (base64 || !payload.isJson) {
    const { buffer, byteOffset, byteLength } = payload.body;
    const encoded = Buffer.from(buffer, byteOffset, byteLength).toString('base64');
    return [Buffer.from(`${fields},"encoding":"base64","originalRequest":"${encoded}"}`)];
  }
  if (payload.body.byteLength === 0) return [Buffer.from(`${fields},"originalRequest":null}`)];
  return [Buffer.from(`${fields},"originalRequest":`), payload.body, CLOSE_BRACE];
}

const CLOSE_BRACE = Buffer.from('}');
const OPEN_BRACKET = Buffer.from('[');
const CLOSE_BRACKET = Buffer.from(']');
const COMMA = Buffer.from(',');

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

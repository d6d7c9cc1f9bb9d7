import type { HubError } from '../errors.js';

/** What a caller sent, as the core carries it to a worker. */
export interface CallPayload {
  /** The caller's HTTP method: `POST` for `/service/:name`, any for `/call/:name/...`. */
  readonly method: string;
  /** The path below the service, starting with `/`, as the caller sent it (still percent-encoded). */
  readonly path: string;
  /** The raw query string without `?`; empty when there was none. */
  readonly query: string;
  /** The request body, byte for byte. */
  readonly body: Uint8Array;
  /** The caller's Content-Type, if it sent one. */
  readonly contentType: string | undefined;
  /** True when the body is JSON (already validated by the transport) and can travel as a JSON value. */
  readonly isJson: boolean;
  /** Request headers that are safe to hand to a worker (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** Follows the call through the hub and its worker: the caller's trace id, or one made for it. */
  readonly flowId: string;
}

/** One unit of work: a call waiting for a worker's answer. */
export interface Job {
  /** Unguessable id (nanoid, 21 characters), the same for every attempt; never sent to workers. */
  readonly id: string;
  readonly service: string;
  /** When the caller stops waiting, in epoch milliseconds. */
  readonly deadline: number;
  /** Hand-outs allowed in all: a lost lease or a retryable failure uses one up. */
  readonly maxAttempts: number;
  readonly payload: CallPayload;
}

/** One hand-out of a job to a worker: the worker answers, heartbeats and fails with its `id`. */
export interface Delivery {
  /** Unguessable, new for every attempt, so a late answer from an earlier attempt is told apart. */
  readonly id: string;
  readonly job: Job;
  /** 1 for the first hand-out. */
  readonly attempt: number;
  /** How long the worker holds the job without answering or heartbeating before it is handed out again. */
  readonly leaseMs: number;
}

/** A worker's report that it could not do a job (`POST /jobs/:id/fail`). */
export interface Failure {
  readonly message: string;
  /** Hand the job to another worker if attempts and time remain; otherwise the caller gets `worker_failed`. */
  readonly retry: boolean;
}

/** Statuses that cannot carry a body (RFC 9110): an answer with one must be empty. */
export const BODYLESS_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/** A worker's answer, handed back to the caller as its HTTP response. */
export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** Further response headers the worker asked to return (lower-case names). */
  readonly headers: AnswerHeaders;
  readonly body: Uint8Array;
}

/**
 * Response headers by lower-case name. A header sent more than once whose values
 * cannot be joined with commas (`Set-Cookie`) keeps each value: an array.
 */
export type AnswerHeaders = Readonly<Record<string, string | readonly string[]>>;

/** How a job ended, as its caller would have been told. */
export type Outcome = { readonly answer: Answer } | { readonly error: HubError };

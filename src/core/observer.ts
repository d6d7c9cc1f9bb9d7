/**
 * What the core tells whoever watches it (metrics, logs): how each call ended,
 * each hand-out, each retry. Called on the hot path, so an observer must only
 * count or log: no I/O it waits for, no await.
 */
import type { RetryEvent } from '../store/job-store.js';

/** How a call ended, as its caller was told. */
export type CallOutcome =
  /** A worker answered with a status below 500. */
  | 'answered'
  /** A worker answered with a 5xx of its own. */
  | 'worker_error'
  /** The caller's deadline passed (504 `timeout`). */
  | 'timed_out'
  /** No worker took the job within its queue timeout (504 `queue_timeout`). */
  | 'queue_timed_out'
  /** Every attempt failed (502 `worker_failed`). */
  | 'failed'
  /** The caller went away (499 `cancelled`). */
  | 'cancelled'
  /** Refused before or while queued: the error code says why (`queue_full`, `no_workers`, ...). */
  | 'rejected';

/** A call of a valid service name that ended. */
export interface CallEnd {
  readonly service: string;
  readonly jobId: string;
  readonly flowId: string;
  readonly outcome: CallOutcome;
  /** The hub's error code of a rejected call; undefined otherwise. */
  readonly code: string | undefined;
  /** From the call's arrival to its end. */
  readonly ms: number;
}

export interface HubObserver {
  callEnded(call: CallEnd): void;
  /** A job was handed to a worker after waiting `queuedMs` in its queue (0: a worker was waiting). */
  jobTaken(service: string, queuedMs: number): void;
  /** A hand-out was lost (lease expired, retryable failure): retried, or its call failed. */
  jobRetried(event: RetryEvent): void;
}

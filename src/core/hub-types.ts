/**
 * What the core takes and gives at its edges: its options, a call, a take, a
 * batch answer, its status. `hub.ts` re-exports them; they live apart so that
 * file is about behaviour.
 */
import type { Answer, CallPayload } from '../domain/job.js';
import type { WebhookSender } from './webhooks.js';

export interface HubOptions {
  /** A call's deadline when the caller names none. */
  readonly callTimeoutMs: number;
  /** The longest deadline a caller may ask for; longer is `invalid_timeout`. */
  readonly maxCallTimeoutMs: number;
  /** How long a poll waits for a job when the worker names no wait. */
  readonly pollTimeoutMs: number;
  /** The longest wait a worker may ask for; longer is `invalid_timeout`. */
  readonly maxPollTimeoutMs: number;
  /** Parked calls plus parked polls, across all services, before `hub_full`. */
  readonly maxParked: number;
  /** Parked calls plus parked polls of one service, its share, before `service_full`. */
  readonly maxParkedPerService: number;
  /** Bytes of call bodies held by live jobs before `hub_full`, and one service's share of them. */
  readonly maxQueuedBytes: number;
  readonly maxQueuedBytesPerService: number;
  /** How long `close()` lets in-flight jobs finish before it turns their callers away. */
  readonly shutdownGraceMs: number;
  /** Hand-outs a job gets in all (lost leases and retryable failures use them up); callers may ask for fewer. */
  readonly maxAttempts: number;
  /** A call to a service no worker has been seen for within this window gets `no_workers`; 0 turns the check off. */
  readonly noWorkersMs: number;
  /** This process's name in `/status` and metrics. @default `<host name>-<process id>` */
  readonly replica?: string | undefined;
  /** Bytes a topic subscriber may leave unread before it is cut. @default 1 MiB */
  readonly topicSubscriberBufferBytes?: number | undefined;
  /** How webhook deliveries are POSTed; without one every delivery fails (and is retried). */
  readonly webhookSender?: WebhookSender | undefined;
  readonly webhookTimeoutMs?: number | undefined;
  readonly webhookMaxAttempts?: number | undefined;
  readonly webhookRetryMs?: number | undefined;
  readonly webhookMaxPerAddress?: number | undefined;
  /** Which service names are valid. @default SERVICE_NAME_PATTERN */
  readonly serviceNamePattern?: RegExp | undefined;
}

export interface CallInput {
  readonly service: string;
  readonly payload: CallPayload;
  /** Milliseconds the caller will wait; the configured default when undefined. */
  readonly timeoutMs?: number | undefined;
  /** Milliseconds the job may wait for a worker to take it (`queue_timeout` after); no limit when undefined. */
  readonly queueTimeoutMs?: number | undefined;
  /** Hand-outs allowed, from 1 to the configured maximum; the maximum when undefined. */
  readonly maxAttempts?: number | undefined;
  /** Queue the job even when no worker has been seen (scale-from-zero services). */
  readonly queueWithoutWorkers?: boolean | undefined;
  /**
   * Refuse with `no_workers` at once when no worker has been seen within the
   * worker window, even with `HUB_NO_WORKERS_MS=0` (an event whose version
   * nobody serves: docs/events-protocol.md).
   */
  readonly requireWorkers?: boolean | undefined;
  /**
   * Coalesces calls: while a job with this key is queued, in flight or recently
   * answered for the service, another call with it gets that job's answer.
   */
  readonly idempotencyKey?: string | undefined;
  /**
   * Whose keys `idempotencyKey` is among: calls in different scopes (tokens,
   * users) never share a job, even with the same key. One scope when undefined.
   */
  readonly idempotencyScope?: string | undefined;
}

export interface TakeInput {
  readonly service: string;
  /** Milliseconds to wait for a job; 0 returns at once. The configured default when undefined. */
  readonly timeoutMs?: number | undefined;
  /** Who is asking, for `GET /services`; anonymous when undefined. */
  readonly workerId?: string | undefined;
  /**
   * A WebSocket's take: bounded by the socket limits (sockets × services a socket
   * serves), so it holds no `HUB_MAX_PARKED` slot, which callers and pollers need.
   */
  readonly fromSocket?: boolean;
}

/** A worker's answer to one delivery, as a batch carries it. */
export interface DeliveryAnswer {
  readonly id: string;
  readonly answer: Answer;
}

/**
 * Filled in by a take: the count of work notices (`Hub#noticesHeard`) when its
 * last look began. A batch compares it with the count after its pause to know
 * whether anything was queued since.
 */
export interface LookMark {
  heardAtLook: number;
  /**
   * Set by the caller when a look that began at this count found the queue
   * empty (an answer's step of the store took nothing): the take then waits
   * without a first look of its own, unless a notice came since.
   */
  emptyAt?: number;
}

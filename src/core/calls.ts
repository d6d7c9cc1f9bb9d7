import pTimeout from 'p-timeout';
import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, Job } from '../domain/job.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import type { JobStore, Ticket } from '../store/job-store.js';
import { Budget } from './budget.js';
import { CallWait, cancelledError } from './call-wait.js';
import type { CallInput, HubOptions } from './hub-types.js';
import { checkMaxAttempts, checkTimeout } from './limits.js';
import type { CallOutcome, HubObserver } from './observer.js';
import type { Parking } from './parking.js';
import { assertServiceName } from './service-name.js';

export type CallsOptions = Pick<
  HubOptions,
  | 'callTimeoutMs'
  | 'maxCallTimeoutMs'
  | 'maxAttempts'
  | 'noWorkersMs'
  | 'maxQueuedBytes'
  | 'maxQueuedBytesPerService'
> & {
  readonly serviceNames: RegExp;
  readonly observer: HubObserver;
  /** Whether a take of the service is parked on this hub: a worker is then present. */
  readonly takesParked: (service: string) => boolean;
};

/** The outcomes that are not refusals, by the error that ends the call. */
const OUTCOMES: Partial<Record<ErrorCode, CallOutcome>> = {
  [ErrorCode.Timeout]: 'timed_out',
  [ErrorCode.QueueTimeout]: 'queue_timed_out',
  [ErrorCode.WorkerFailed]: 'failed',
  [ErrorCode.Cancelled]: 'cancelled',
};

export const shuttingDown = () => new HubError(ErrorCode.ShuttingDown, 'the hub is shutting down');

/**
 * Calls in progress: each queues a job and waits for its answer under its
 * deadline, its queue timeout and its caller's departure. Keeps the table of
 * parked calls (by job id), which every path deletes from and shutdown drains.
 */
export class Calls {
  readonly #store: JobStore;
  readonly #parking: Parking;
  readonly #options: CallsOptions;
  /** Parked calls by job id; shutdown fails their waits. */
  readonly #parked = new Map<string, CallWait>();
  /** Bytes of call bodies held by live jobs: `HUB_MAX_QUEUED_BYTES(_PER_SERVICE)`. */
  readonly #bytes: Budget;
  #closing = false;
  #onDrained: (() => void) | undefined;

  constructor(store: JobStore, parking: Parking, options: CallsOptions) {
    this.#store = store;
    this.#parking = parking;
    this.#options = options;
    this.#bytes = new Budget({
      unit: 'bytes of queued and in-flight calls',
      total: options.maxQueuedBytes,
      totalSetting: 'HUB_MAX_QUEUED_BYTES',
      perService: options.maxQueuedBytesPerService,
      perServiceSetting: 'HUB_MAX_QUEUED_BYTES_PER_SERVICE',
    });
  }

  /** Calls parked now, each one's own wait (a caller's, or an async job's). */
  get parked(): number {
    return this.#parked.size;
  }

  /** A call's deadline in milliseconds, validated; the configured default when undefined. */
  timeoutOf(value: number | undefined): number {
    return checkTimeout(value, 1, this.#options.maxCallTimeoutMs, {
      fallback: this.#options.callTimeoutMs,
      what: "Hub-Timeout (the call's deadline)",
    });
  }

  /**
   * Queues a job under `id` and waits for its answer. `onEnqueued` runs once the
   * job is queued (async calls answer their caller then).
   */
  async run(
    input: CallInput,
    signal: CancelSignal | undefined,
    id: string,
    onEnqueued?: () => void,
  ): Promise<Answer> {
    assertServiceName(input.service, this.#options.serviceNames);
    // Only a valid name reaches the observer: a hostile one must not become a label.
    const startedAt = Date.now();
    const ended = (outcome: CallOutcome, code: string | undefined) =>
      this.#options.observer.callEnded({
        service: input.service,
        jobId: id,
        flowId: input.payload.flowId,
        outcome,
        code,
        ms: Date.now() - startedAt,
      });
    try {
      const answer = await this.#run(input, signal, id, onEnqueued);
      ended(answer.status >= 500 ? 'worker_error' : 'answered', undefined);
      return answer;
    } catch (error) {
      const code = isHubError(error) ? error.code : ErrorCode.Internal;
      const outcome = OUTCOMES[code] ?? 'rejected';
      ended(outcome, outcome === 'rejected' ? code : undefined);
      throw error;
    }
  }

  async #run(
    input: CallInput,
    signal: CancelSignal | undefined,
    id: string,
    onEnqueued: (() => void) | undefined,
  ): Promise<Answer> {
    const timeoutMs = this.timeoutOf(input.timeoutMs);
    const queueTimeoutMs =
      input.queueTimeoutMs === undefined
        ? undefined
        : checkTimeout(input.queueTimeoutMs, 1, timeoutMs, {
            fallback: timeoutMs,
            what: 'Hub-Queue-Timeout',
          });
    const maxAttempts = checkMaxAttempts(input.maxAttempts, this.#options.maxAttempts);
    if (this.#closing) throw shuttingDown();
    if (signal?.aborted) throw cancelledError();
    const bytes = input.payload.body.byteLength;
    const releaseParked = this.#parking.reserve(input.service);
    try {
      this.#bytes.take(input.service, bytes);
    } catch (error) {
      releaseParked();
      throw error;
    }

    const job: Job = {
      id,
      service: input.service,
      deadline: Date.now() + timeoutMs,
      maxAttempts,
      payload: input.payload,
    };
    const wait = new CallWait(timeoutMs, signal);
    // Parked from before the enqueue, so the capacity check counts calls still being queued.
    this.#parked.set(job.id, wait);
    let queueTimer: NodeJS.Timeout | undefined;
    try {
      const ticket = await this.#store.enqueue(job, {
        requireWorkers:
          this.#options.noWorkersMs > 0 &&
          !input.queueWithoutWorkers &&
          !this.#options.takesParked(input.service),
      });
      wait.answerWith(ticket.answer);
      onEnqueued?.();
      if (queueTimeoutMs !== undefined) {
        queueTimer = setTimeout(
          () => void this.#withdrawIfQueued(job, queueTimeoutMs),
          queueTimeoutMs,
        );
      }
      try {
        return await wait.settled;
      } catch (error) {
        return await this.#afterFailedWait(job, ticket, error, timeoutMs);
      }
    } finally {
      clearTimeout(queueTimer);
      wait.dispose();
      this.#parked.delete(job.id);
      releaseParked();
      this.#bytes.give(input.service, bytes);
      if (this.#closing && this.#parked.size === 0) this.#onDrained?.();
    }
  }

  /**
   * Shutdown: refuses new calls, turns away callers whose jobs are still queued
   * (no worker will take them now), lets in-flight jobs finish for `graceMs`, then
   * turns away the callers still waiting.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    // A withdrawn job's ticket rejects with shutting_down, which ends its call.
    for (const id of this.#parked.keys()) await this.#store.withdrawQueued(id, shuttingDown());
    if (this.#parked.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#onDrained = resolve;
      });
      await pTimeout(drained, { milliseconds: Math.max(graceMs, 1), message: false });
    }
    for (const call of this.#parked.values()) call.fail(shuttingDown());
  }

  /**
   * A wait ended by a deadline, an abort or shutdown: give the job up in the store,
   * unless its answer won the race after all.
   */
  async #afterFailedWait(
    job: Job,
    ticket: Ticket,
    error: unknown,
    timeoutMs: number,
  ): Promise<Answer> {
    const reason = callFailure(error);
    // Anything else came from the ticket: the store has already ended the job.
    if (!GIVE_UP_CODES.has(reason.code)) throw reason;
    const outcome = await this.#store.giveUp(job.id, reason);
    if (outcome === 'settled') return await ticket.answer;
    if (reason.code === ErrorCode.Timeout) throw await this.#timeoutError(job, outcome, timeoutMs);
    throw reason;
  }

  /**
   * A 504 that says which case it was: the job never taken (and when a worker of
   * the service was last seen, since a call parks for a while after one was), or
   * taken by a worker that never answered.
   */
  async #timeoutError(
    job: Job,
    outcome: 'withdrawn' | 'abandoned',
    timeoutMs: number,
  ): Promise<HubError> {
    if (outcome === 'abandoned') {
      return new HubError(
        ErrorCode.Timeout,
        `a worker of '${job.service}' took the job but did not answer within the call's ${timeoutMs} ms deadline`,
      );
    }
    const lastSeenAt = await this.#store.workerLastSeenAt(job.service);
    const seen =
      lastSeenAt === undefined
        ? `no worker of '${job.service}' was seen recently`
        : `a worker of '${job.service}' was last seen ${Date.now() - lastSeenAt} ms ago`;
    return new HubError(
      ErrorCode.Timeout,
      `no worker took the job within the call's ${timeoutMs} ms deadline; ${seen}`,
    );
  }

  /** A queue timeout: the ticket rejects with it, unless a worker took the job first. */
  async #withdrawIfQueued(job: Job, queueTimeoutMs: number): Promise<void> {
    const error = new HubError(
      ErrorCode.QueueTimeout,
      `no worker took the job within its ${queueTimeoutMs} ms queue timeout`,
    );
    await this.#store.withdrawQueued(job.id, error);
  }
}

/** Turns whatever ended a call's wait into the error its caller gets. */
function callFailure(error: unknown): HubError {
  if (isHubError(error)) return error;
  return new HubError(ErrorCode.Internal, 'the call failed inside the hub', { cause: error });
}

/** Failures that end a wait from outside the store: the store must be told to give the job up. */
const GIVE_UP_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.Timeout,
  ErrorCode.Cancelled,
  ErrorCode.ShuttingDown,
]);

import pTimeout from 'p-timeout';
import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, Job } from '../domain/job.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import type { Idempotency, JobOutcome, JobStore, RunRecord } from '../store/job-store.js';
import { Budget } from './budget.js';
import { CallWait, cancelledError } from './call-wait.js';
import type { CallInput, HubOptions } from './hub-types.js';
import { checkMaxAttempts, checkTimeout } from './limits.js';
import type { CallOutcome, HubObserver } from './observer.js';
import type { OutcomeListeners } from './outcomes.js';
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

/** A call the hub runs on its callers' behalf: its outcome is kept (async, idempotent). */
export interface AsRun {
  readonly idempotency?: Idempotency | undefined;
  /** Told once the job is queued, or with the run its idempotency key already leads to. */
  queued(joined: RunRecord | undefined): void;
}

/**
 * How long a call whose wait failed as its job ended waits for the store's word
 * of that end: it is on its way through the feed (from another replica, at worst).
 */
const OUTCOME_IN_TRANSIT_MS = 5_000;

export const shuttingDown = () => new HubError(ErrorCode.ShuttingDown, 'the hub is shutting down');

/**
 * Calls in progress: each queues a job and waits for its answer under its
 * deadline, its queue timeout and its caller's departure. Keeps the table of
 * parked calls (by job id), which every path deletes from and shutdown drains.
 */
export class Calls {
  readonly #store: JobStore;
  readonly #outcomes: OutcomeListeners;
  readonly #parking: Parking;
  readonly #options: CallsOptions;
  /** Parked calls by job id; shutdown fails their waits. */
  readonly #parked = new Map<string, CallWait>();
  /** Bytes of call bodies held by live jobs: `HUB_MAX_QUEUED_BYTES(_PER_SERVICE)`. */
  readonly #bytes: Budget;
  #closing = false;
  #onDrained: (() => void) | undefined;

  constructor(
    store: JobStore,
    outcomes: OutcomeListeners,
    parking: Parking,
    options: CallsOptions,
  ) {
    this.#store = store;
    this.#outcomes = outcomes;
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
   * Queues a job under `id` and waits for its answer. `asRun` makes it a run
   * whose outcome the store keeps; `asRun.queued` hears once it is queued (async
   * calls answer their caller then), and with an idempotency key already in use
   * nothing is queued: the call resolves undefined.
   */
  run(input: CallInput, signal: CancelSignal | undefined, id: string): Promise<Answer>;
  run(
    input: CallInput,
    signal: CancelSignal | undefined,
    id: string,
    asRun: AsRun,
  ): Promise<Answer | undefined>;
  async run(
    input: CallInput,
    signal: CancelSignal | undefined,
    id: string,
    asRun?: AsRun,
  ): Promise<Answer | undefined> {
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
      const answer = await this.#run(input, signal, id, asRun);
      // Joined another run: no call of its own ended.
      if (!answer) return undefined;
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
    asRun: AsRun | undefined,
  ): Promise<Answer | undefined> {
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
    // Listening before the enqueue: the outcome may come before the store's reply does.
    this.#outcomes.listen(job.id, wait);
    let queueTimer: NodeJS.Timeout | undefined;
    try {
      const enqueued = await this.#store.enqueue(job, {
        requireWorkers:
          (input.requireWorkers || (this.#options.noWorkersMs > 0 && !input.queueWithoutWorkers)) &&
          !this.#options.takesParked(input.service),
        run: asRun && { idempotency: asRun.idempotency },
      });
      asRun?.queued(enqueued?.joined);
      if (enqueued) return undefined;
      if (queueTimeoutMs !== undefined) {
        queueTimer = setTimeout(
          () => void this.#withdrawIfQueued(job, queueTimeoutMs),
          queueTimeoutMs,
        );
      }
      try {
        return await wait.settled;
      } catch (error) {
        return await this.#afterFailedWait(job, wait, error, timeoutMs);
      }
    } finally {
      clearTimeout(queueTimer);
      this.#outcomes.unlisten(job.id, wait);
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
    // A withdrawn job ends with shutting_down, which ends its call.
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
    wait: CallWait,
    error: unknown,
    timeoutMs: number,
  ): Promise<Answer> {
    const reason = callFailure(error);
    // Anything else was the job's outcome: the store has already ended the job.
    if (!GIVE_UP_CODES.has(reason.code)) throw reason;
    const outcome = await this.#store.giveUp(job.id, reason);
    if (outcome === 'settled') return answerOf(await this.#outcomeOf(wait));
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

  /** The outcome of a job the store says has ended: told, or on its way. */
  async #outcomeOf(wait: CallWait): Promise<JobOutcome> {
    return pTimeout(wait.outcome(), {
      milliseconds: OUTCOME_IN_TRANSIT_MS,
      message: new HubError(
        ErrorCode.Internal,
        'the job ended, but its outcome never reached this hub',
      ),
    });
  }

  /** A queue timeout: the job ends with it, unless a worker took it first. */
  async #withdrawIfQueued(job: Job, queueTimeoutMs: number): Promise<void> {
    const error = new HubError(
      ErrorCode.QueueTimeout,
      `no worker took the job within its ${queueTimeoutMs} ms queue timeout`,
    );
    await this.#store.withdrawQueued(job.id, error);
  }
}

/** The answer of an outcome, or its error thrown as the hub's own. */
function answerOf(outcome: JobOutcome): Answer {
  if ('answer' in outcome) return outcome.answer;
  throw new HubError(outcome.error.code, outcome.error.message);
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

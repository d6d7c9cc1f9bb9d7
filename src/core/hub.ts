import { nanoid } from 'nanoid';
import pTimeout from 'p-timeout';
import { Cancel, type CancelSignal, linkAbort } from '../domain/cancel.js';
import {
  type Answer,
  BODYLESS_STATUSES,
  type Delivery,
  type Failure,
  type Job,
} from '../domain/job.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import {
  type HubStatus,
  SERVICE_FIGURES,
  SERVICE_NAME_PATTERN,
  type ServiceFigure,
} from '../protocol.js';
import type { FailOutcome, JobStore, ServiceDetail, Ticket } from '../store/job-store.js';
import { noop } from '../util/noop.js';
import { AsyncCalls, type JobResult } from './async-calls.js';
import { Batching } from './batching.js';
import { Budget } from './budget.js';
import { CallWait, cancelledError } from './call-wait.js';
import type { CallInput, DeliveryAnswer, HubOptions, TakeInput } from './hub-types.js';
import { checkMaxAttempts, checkTimeout } from './limits.js';
import { assertServiceName } from './service-name.js';

export type { JobResult } from './async-calls.js';
export type { CallInput, DeliveryAnswer, HubOptions, TakeInput } from './hub-types.js';

/** The longest failure message a worker may send; longer ones are cut. */
const MAX_FAILURE_MESSAGE = 1000;

const shuttingDown = () => new HubError(ErrorCode.ShuttingDown, 'the hub is shutting down');

/**
 * The transport-agnostic heart of Switchboard: callers `call`, workers `take` and
 * `answer`. It validates input, owns deadlines and shutdown, and keeps the table of
 * parked calls and polls; the store keeps the jobs.
 */
export class Hub {
  readonly #store: JobStore;
  readonly #options: HubOptions;
  /** Parked calls by job id; shutdown fails their waits. */
  readonly #parkedCalls = new Map<string, CallWait>();
  /** Parked polls and waits for results; aborting one ends its wait. */
  readonly #parkedPolls = new Set<Cancel>();
  /** Async and idempotent calls: jobs the hub waits for on its callers' behalf. */
  readonly #async: AsyncCalls;
  readonly #batching: Batching;
  /** Parked calls, polls and waits, in all and per service: `HUB_MAX_PARKED(_PER_SERVICE)`. */
  readonly #parkedBudget: Budget;
  /** Bytes of call bodies held by live jobs: `HUB_MAX_QUEUED_BYTES(_PER_SERVICE)`. */
  readonly #bytesBudget: Budget;
  readonly #serviceNames: RegExp;
  #closing = false;
  #closed: Promise<void> | undefined;
  #onCallsDrained: (() => void) | undefined;

  constructor(store: JobStore, options: HubOptions) {
    this.#store = store;
    this.#options = options;
    this.#serviceNames = options.serviceNamePattern ?? SERVICE_NAME_PATTERN;
    this.#parkedBudget = new Budget({
      unit: 'parked requests',
      total: options.maxParked,
      totalSetting: 'HUB_MAX_PARKED',
      perService: options.maxParkedPerService,
      perServiceSetting: 'HUB_MAX_PARKED_PER_SERVICE',
    });
    this.#bytesBudget = new Budget({
      unit: 'bytes of queued and in-flight calls',
      total: options.maxQueuedBytes,
      totalSetting: 'HUB_MAX_QUEUED_BYTES',
      perService: options.maxQueuedBytesPerService,
      perServiceSetting: 'HUB_MAX_QUEUED_BYTES_PER_SERVICE',
    });
    this.#batching = new Batching(this, store);
    this.#async = new AsyncCalls(
      {
        startCall: (input, id, onEnqueued) => this.#call(input, undefined, id, onEnqueued),
        park: (service, waitMs, signal) => this.#park(service, waitMs, signal),
        reserveParked: (service) => this.#reserveParked(service),
        callTimeout: (value) => this.#callTimeout(value),
        jobState: (id) => this.#store.jobState(id),
      },
      {
        ttlMs: options.resultTtlMs,
        maxResults: options.maxResults,
        maxBytes: options.maxResultBytes,
        maxResultsPerService: options.maxResultsPerService,
        maxBytesPerService: options.maxResultBytesPerService,
      },
    );
  }

  /** False once `close()` has begun: load balancers should send no new calls. */
  get ready(): boolean {
    return !this.#closing;
  }

  /** How many calls and polls are parked now; 0 and 0 once every path has cleaned up. */
  get parked(): { calls: number; polls: number } {
    return {
      calls: this.#parkedCalls.size + this.#async.waiters.size,
      polls: this.#parkedPolls.size,
    };
  }

  /**
   * Queues a job and waits for a worker's answer. Rejects with `HubError`:
   * `timeout` when the deadline passes, `cancelled` when `signal` aborts (the job is
   * withdrawn if still queued), `queue_full`, `hub_full`, `shutting_down`, or a
   * validation code.
   */
  call(input: CallInput, signal?: CancelSignal): Promise<Answer> {
    if (input.idempotencyKey === undefined) return this.#call(input, signal, nanoid());
    return this.#callIdempotent(input, signal);
  }

  async #callIdempotent(input: CallInput, signal: CancelSignal | undefined): Promise<Answer> {
    this.#assertService(input.service);
    return this.#async.callIdempotent(input, signal);
  }

  /**
   * Starts a job the hub waits for itself, and resolves its id once the job is
   * queued: `Prefer: respond-async`. With an idempotency key already in use the id
   * is that job's. Rejects as `call` does when the job cannot be queued.
   */
  async submit(input: CallInput): Promise<string> {
    this.#assertService(input.service);
    return this.#async.submit(input);
  }

  /**
   * `submit`, then waits up to `waitMs` for the job to end: `Prefer: respond-async,
   * wait=N`. Once the job is queued it never rejects: a wait the hub cannot park
   * now (full, shutting down) ends at once, so the caller always learns the id.
   */
  async submitAndWait(
    input: CallInput,
    waitMs: number,
    signal?: CancelSignal,
  ): Promise<{ id: string; result: JobResult }> {
    const id = await this.submit(input);
    const wait = Math.min(waitMs, this.#options.maxPollTimeoutMs);
    return { id, result: await this.#async.resultNow(id, wait, signal) };
  }

  /**
   * Where an async call's job is, or its outcome; waits up to `waitMs` for it to
   * end. Rejects `unknown_job` for an id it does not know or no longer keeps.
   */
  async result(id: string, waitMs = 0, signal?: CancelSignal): Promise<JobResult> {
    checkTimeout(waitMs, 0, this.#options.maxPollTimeoutMs, { fallback: 0, what: 'wait' });
    return this.#async.result(id, waitMs, signal);
  }

  /** The service of a job the hub keeps a result for; for authorization. */
  resultService(id: string): string | undefined {
    return this.#async.serviceOf(id);
  }

  /**
   * Parks a poll-like wait: its signal aborts after `waitMs`, when `signal` aborts,
   * or at shutdown. `end()` must run on every path.
   */
  #park(
    service: string,
    waitMs: number,
    signal: CancelSignal | undefined,
  ): { signal: Cancel; end(): void } {
    // A zero wait (a short poll) ends within this turn: it holds no parked slot.
    const release = waitMs > 0 ? this.#reserveParked(service) : noop;
    const wait = new Cancel();
    const unlink = linkAbort(signal, wait, cancelledError);
    const timer = setTimeout(() => wait.abort(), waitMs);
    this.#parkedPolls.add(wait);
    return {
      signal: wait,
      end: () => {
        clearTimeout(timer);
        unlink();
        this.#parkedPolls.delete(wait);
        release();
      },
    };
  }

  /** Takes a parked slot of `service` (or throws `hub_full` / `service_full`); the function gives it back. */
  #reserveParked(service: string): () => void {
    this.#parkedBudget.take(service, 1);
    return () => this.#parkedBudget.give(service, 1);
  }

  #assertService(name: string): void {
    assertServiceName(name, this.#serviceNames);
  }

  #callTimeout(value: number | undefined): number {
    return checkTimeout(value, 1, this.#options.maxCallTimeoutMs, {
      fallback: this.#options.callTimeoutMs,
      what: 'call timeout',
    });
  }

  async #call(
    input: CallInput,
    signal: CancelSignal | undefined,
    id: string,
    onEnqueued?: () => void,
  ): Promise<Answer> {
    this.#assertService(input.service);
    const timeoutMs = this.#callTimeout(input.timeoutMs);
    const queueTimeoutMs =
      input.queueTimeoutMs === undefined
        ? undefined
        : checkTimeout(input.queueTimeoutMs, 1, timeoutMs, {
            fallback: timeoutMs,
            what: 'queue timeout',
          });
    const maxAttempts = checkMaxAttempts(input.maxAttempts, this.#options.maxAttempts);
    if (this.#closing) throw shuttingDown();
    if (signal?.aborted) throw cancelledError();
    const bytes = input.payload.body.byteLength;
    const releaseParked = this.#reserveParked(input.service);
    try {
      this.#bytesBudget.take(input.service, bytes);
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
    this.#parkedCalls.set(job.id, wait);
    let queueTimer: NodeJS.Timeout | undefined;
    try {
      const ticket = await this.#store.enqueue(job, {
        requireWorkers: this.#options.noWorkersMs > 0 && !input.queueWithoutWorkers,
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
      this.#parkedCalls.delete(job.id);
      releaseParked();
      this.#bytesBudget.give(input.service, bytes);
      if (this.#closing && this.#parkedCalls.size === 0) this.#onCallsDrained?.();
    }
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

  /**
   * Waits up to the poll timeout for the next job of a service. Resolves `undefined`
   * when the wait ends empty, when `signal` aborts, or when the hub starts shutting
   * down; a poll that arrives during shutdown is refused with `shutting_down`. A job
   * claimed just as the worker went away goes back to the head of its queue.
   */
  async take(input: TakeInput, signal?: CancelSignal): Promise<Delivery | undefined> {
    const waitMs = this.checkTake(input);
    // 503, not an empty 204: a worker that re-polls at once would spin until we exit.
    if (this.#closing) throw shuttingDown();
    if (signal?.aborted) return undefined;

    const wait = this.#park(input.service, waitMs, signal);
    try {
      const delivery = await this.#store.claim(input.service, wait.signal, input.workerId);
      if (delivery && signal?.aborted) {
        // The worker left between the hand-off and now; it never saw this job.
        await this.#store.release(delivery.id);
        return undefined;
      }
      return delivery;
    } finally {
      wait.end();
    }
  }

  /**
   * Up to `max` jobs in one take; see `Batching#takeBatch`. A busy service so fills
   * the batch, and its worker makes one exchange for many jobs instead of one each.
   */
  takeBatch(input: TakeInput, max: number, signal?: CancelSignal): Promise<Delivery[]> {
    return this.#batching.takeBatch(input, max, signal);
  }

  /** Answers several jobs, each on its own, then with `next` takes a batch; see `Batching#answerBatch`. */
  answerBatch(
    answers: readonly DeliveryAnswer[],
    next?: { take: TakeInput; max: number },
    signal?: CancelSignal,
  ): Promise<{ outcomes: (HubError | undefined)[]; jobs: Delivery[] }> {
    return this.#batching.answerBatch(answers, next, signal);
  }

  /** Answers a job, then takes the next one: one exchange instead of two; see `Batching#answerAndTake`. */
  answerAndTake(
    id: string,
    answer: Answer,
    next: TakeInput,
    signal?: CancelSignal,
  ): Promise<Delivery | undefined> {
    return this.#batching.answerAndTake(id, answer, next, signal);
  }

  /** Hands a worker's answer to the job's caller; `id` is the delivery's. */
  async answer(id: string, answer: Answer): Promise<void> {
    if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599) {
      throw new HubError(
        ErrorCode.InvalidStatus,
        `answer status must be an integer from 200 to 599, got ${answer.status}`,
      );
    }
    if (BODYLESS_STATUSES.has(answer.status) && answer.body.byteLength > 0) {
      throw new HubError(
        ErrorCode.InvalidStatus,
        `status ${answer.status} cannot carry a body, but the answer has ${answer.body.byteLength} bytes`,
      );
    }
    await this.#store.answer(id, answer);
  }

  /** Extends a delivery's lease; resolves its new end in epoch milliseconds. */
  heartbeat(id: string): Promise<number> {
    return this.#store.heartbeat(id);
  }

  /** A worker could not do a job: hand it on if it asks and attempts remain, else fail the call. */
  fail(id: string, failure: Failure): Promise<FailOutcome> {
    const message = failure.message.slice(0, MAX_FAILURE_MESSAGE);
    return this.#store.fail(id, { message, retry: failure.retry });
  }

  async status(): Promise<HubStatus> {
    const services = await this.#store.stats();
    const total = {} as Record<ServiceFigure, number>;
    for (const key of SERVICE_FIGURES) total[key] = services.reduce((sum, s) => sum + s[key], 0);
    const { calls, polls } = this.parked;
    return { ready: this.ready, parkedCalls: calls, parkedPolls: polls, total, services };
  }

  /** The service of a job a worker holds, by its delivery id; undefined if none is held under it. */
  serviceOf(deliveryId: string): Promise<string | undefined> {
    return this.#store.serviceOf(deliveryId);
  }

  /** Each service's queue, the wait of its oldest job, and the workers seen recently. */
  services(): Promise<ServiceDetail[]> {
    return this.#store.services();
  }

  /**
   * Two-phase shutdown. First: refuse new calls, end every parked poll empty, and
   * turn away callers whose jobs are still queued (no worker will take them now).
   * Then let in-flight jobs finish for `graceMs`, and turn away the callers still
   * waiting after that. Idempotent.
   */
  close(graceMs = this.#options.shutdownGraceMs): Promise<void> {
    this.#closed ??= this.#close(graceMs);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const poll of this.#parkedPolls) poll.abort();
    // A withdrawn job's ticket rejects with shutting_down, which ends its call.
    for (const id of this.#parkedCalls.keys()) await this.#store.withdrawQueued(id, shuttingDown());
    if (this.#parkedCalls.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#onCallsDrained = resolve;
      });
      await pTimeout(drained, { milliseconds: Math.max(graceMs, 1), message: false });
    }
    for (const call of this.#parkedCalls.values()) call.fail(shuttingDown());
    for (const waiter of this.#async.waiters) waiter.fail(shuttingDown());
    await this.#store.close();
  }

  /** Validates a take's service and wait, as `take` does; returns the wait in milliseconds. */
  checkTake(input: TakeInput): number {
    this.#assertService(input.service);
    return checkTimeout(input.timeoutMs, 0, this.#options.maxPollTimeoutMs, {
      fallback: this.#options.pollTimeoutMs,
      what: 'poll timeout',
    });
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

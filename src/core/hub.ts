import { hostname } from 'node:os';
import { nanoid } from 'nanoid';
import type { CancelSignal } from '../domain/cancel.js';
import { type Answer, BODYLESS_STATUSES, type Delivery, type Failure } from '../domain/job.js';
import { ErrorCode, HubError, isHubError, storeUnavailable } from '../errors.js';
import {
  type HubStatus,
  MAX_FAILURE_MESSAGE,
  SERVICE_FIGURES,
  SERVICE_NAME_PATTERN,
  type ServiceFigure,
} from '../protocol.js';
import type { EventDocRecord } from '../store/event-doc-store.js';
import type {
  FailOutcome,
  JobStore,
  StoreFeed,
  StoreServiceDetail,
  TakeLimits,
  Taker,
} from '../store/job-store.js';
import { AsyncCalls, type JobResult } from './async-calls.js';
import { Batching } from './batching.js';
import { Calls, shuttingDown } from './calls.js';
import { deliveryGoneError, isGone } from './delivery-errors.js';
import type { CallInput, DeliveryAnswer, HubOptions, LookMark, TakeInput } from './hub-types.js';
import { LeaseReaper } from './lease-reaper.js';
import { checkTimeout } from './limits.js';
import type { HubObserver } from './observer.js';
import { OutcomeListeners } from './outcomes.js';
import { type ParkedWait, Parking } from './parking.js';
import { assertServiceName } from './service-name.js';
import { takerOf } from './taker.js';
import { Topics } from './topics.js';
import { type WebhookSender, Webhooks } from './webhooks.js';
import { WorkWaiters } from './work-waiters.js';

/** A hub made without a way to POST: every webhook delivery fails, and says why. */
const NO_SENDER: WebhookSender = {
  post: () => Promise.reject(new Error('this hub was made without a webhook sender')),
};

/** A take's look at the queue when it cannot park: one job, whatever its size. */
const TAKE_ONE: TakeLimits = { count: 1, bytes: Number.POSITIVE_INFINITY };

export type { JobResult } from './async-calls.js';
export type { CallInput, DeliveryAnswer, HubOptions, TakeInput } from './hub-types.js';

/** Per-service figures for `GET /services`: the store's, with this hub's parked takes. */
export interface ServiceDetail extends StoreServiceDetail {
  readonly waitingWorkers: number;
}

/** Whoever holds a delivery and must hear when it ends (`Hub#watchHandOut`). */
export interface HandOutHolder {
  handOutEnded(deliveryId: string): void;
}

/**
 * The transport-agnostic heart of Switchboard: callers `call`, workers `take` and
 * `answer`. It validates input and owns shutdown, and composes the parts that
 * each keep one thing, each depending only on those below it: `Parking` (parked
 * slots and waits), `Calls` (calls in progress and their deadlines), `AsyncCalls`
 * (async and idempotent calls and their kept outcomes), `Batching` (many jobs per
 * exchange, on the hub's one-job operations). The store keeps the jobs.
 */
export class Hub {
  readonly #store: JobStore;
  readonly #options: HubOptions;
  readonly #serviceNames: RegExp;
  /** Parked requests: every call, poll and wait holds a slot; polls and waits end at shutdown. */
  readonly #parking: Parking;
  /** Calls in progress, each parked until its answer, deadline or caller's departure. */
  readonly #calls: Calls;
  /** Async and idempotent calls: jobs the hub waits for on its callers' behalf. */
  readonly #async: AsyncCalls;
  readonly #batching: Batching;
  readonly #observers: HubObserver[] = [];
  /** WebSockets serving each service on this hub, by service. */
  readonly #sockets = new Map<string, number>();
  /** Deliveries held by WebSocket sessions, each with its holder. */
  readonly #handOutHolders = new Map<string, HandOutHolder>();
  /** Asks the store to end lapsed leases when the next one ends (the store keeps no timers). */
  readonly #reaper: LeaseReaper;
  /** This hub's parked takes, per service: the store says when work may be there. */
  readonly #waiters = new WorkWaiters();
  /** Who waits for which job's outcome: the store's feed tells each one. */
  readonly #outcomes = new OutcomeListeners();
  #closing = false;
  /** Resolves once the store's feed is live: a server listens only then. */
  readonly opened: Promise<void>;
  /** This process's name among replicas: labels the figures that are its own. */
  readonly replica: string;
  /** The store's kind: `redis` when replicas share it. */
  get storeKind(): JobStore['kind'] {
    return this.#store.kind;
  }
  #closed: Promise<void> | undefined;
  /** Topics: publish, pull, read, subscribe (docs/events.md). */
  readonly topics: Topics;
  /** Webhooks: topics' messages POSTed to addresses, durably (docs/events.md). */
  readonly webhooks: Webhooks;

  constructor(store: JobStore, options: HubOptions) {
    this.#store = store;
    this.replica = options.replica ?? `${hostname()}-${process.pid}`;
    this.#options = options;
    this.#serviceNames = options.serviceNamePattern ?? SERVICE_NAME_PATTERN;
    this.#parking = new Parking(options);
    this.#calls = new Calls(store, this.#outcomes, this.#parking, {
      ...options,
      serviceNames: this.#serviceNames,
      observer: this.observer,
      // A take parked here is a worker present, however long it has waited.
      takesParked: (service) => this.#waiters.count(service) > 0,
    });
    this.#async = new AsyncCalls(this.#calls, this.#parking, store, this.#outcomes);
    this.#batching = new Batching(this, store);
    this.#reaper = new LeaseReaper((now) => store.reapExpired(now), store.reapAtLeastEveryMs);
    this.topics = new Topics(
      store.topics,
      {
        subscriberBufferBytes: options.topicSubscriberBufferBytes ?? 1024 * 1024,
        maxWaitMs: options.maxPollTimeoutMs,
        defaultRetention: store.topics.defaultRetention,
      },
      this.#parking,
    );
    this.webhooks = new Webhooks(store.webhooks, store.topics, {
      sender: options.webhookSender ?? NO_SENDER,
      replica: this.replica,
      timeoutMs: options.webhookTimeoutMs ?? 10_000,
      maxAttempts: options.webhookMaxAttempts ?? 8,
      retryMs: options.webhookRetryMs ?? 1000,
      maxPerAddress: options.webhookMaxPerAddress ?? 4,
    });
    this.opened = store.subscribe(this.#feed);
    // Once the store is open: a networked store must not be asked anything before it connects.
    this.opened.then(
      () => this.webhooks.start(),
      () => {},
    );
  }

  /** Work notices heard so far, of any service: batches look again only after one. */
  get noticesHeard(): number {
    return this.#waiters.noticesHeard;
  }

  /** What the store tells this hub, as plain data, after each transition. */
  readonly #feed: StoreFeed = {
    work: (service) => this.#waiters.notify(service),
    ended: (jobId, outcome) => this.#outcomes.tell(jobId, outcome),
    handOutEnded: (deliveryId) => this.handOutEnded(deliveryId),
    taken: (service, queuedMs) => this.observer.jobTaken(service, queuedMs),
    retried: (event) => this.observer.jobRetried(event),
    unreachable: () => this.#waiters.wakeAll(),
    published: (topic, message) => {
      this.topics.feed.published(topic, message);
      this.webhooks.heard(topic);
    },
    deleted: (topic) => this.topics.feed.deleted(topic),
  };

  /**
   * Tells whoever `observe()` named how calls end and jobs are taken; the store
   * reports its hand-outs here too (create-hub.ts wires it).
   */
  readonly observer: HubObserver = {
    callEnded: (call) => {
      for (const observer of this.#observers) observer.callEnded(call);
    },
    jobTaken: (service, queuedMs) => {
      for (const observer of this.#observers) observer.jobTaken(service, queuedMs);
    },
    jobRetried: (event) => {
      for (const observer of this.#observers) observer.jobRetried(event);
    },
  };

  /** Adds an observer (metrics, logs): told how calls end, of hand-outs and of retries. */
  observe(observer: HubObserver): void {
    this.#observers.push(observer);
  }

  /**
   * False once `close()` has begun, or while the store cannot be reached: load
   * balancers should send no new calls.
   */
  get ready(): boolean {
    return !this.#closing && this.#store.available?.() !== false;
  }

  /** True once `close()` has begun. */
  get shuttingDown(): boolean {
    return this.#closing;
  }

  /** Why the hub is not ready (`/readyz`): shutting down, or its store unreachable. */
  notReady(): HubError | undefined {
    if (this.#closing) return shuttingDown();
    if (this.#store.available?.() === false) return storeUnavailable();
    return undefined;
  }

  /** How many calls and polls are parked now; 0 and 0 once every path has cleaned up. */
  get parked(): { calls: number; polls: number } {
    return {
      calls: this.#calls.parked + this.#async.waiters.size,
      polls: this.#parking.waits,
    };
  }

  /**
   * Queues a job and waits for a worker's answer. Rejects with `HubError`:
   * `timeout` when the deadline passes, `cancelled` when `signal` aborts (the job is
   * withdrawn if still queued), `queue_full`, `hub_full`, `shutting_down`, or a
   * validation code.
   */
  call(input: CallInput, signal?: CancelSignal): Promise<Answer> {
    if (input.idempotencyKey === undefined) return this.#calls.run(input, signal, nanoid());
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
    checkTimeout(waitMs, 0, this.#options.maxPollTimeoutMs, { fallback: 0, what: '?wait' });
    return this.#async.result(id, waitMs, signal);
  }

  /** The service of a job the hub keeps a result for; for authorization. */
  resultService(id: string): Promise<string | undefined> {
    return this.#async.serviceOf(id);
  }

  #assertService(name: string): void {
    assertServiceName(name, this.#serviceNames);
  }

  /**
   * Waits up to the poll timeout for the next job of a service. Resolves `undefined`
   * when the wait ends empty, when `signal` aborts, or when the hub starts shutting
   * down; a poll that arrives during shutdown is refused with `shutting_down`. A job
   * claimed just as the worker went away goes back to the head of its queue.
   */
  async take(
    input: TakeInput,
    signal?: CancelSignal,
    look?: LookMark,
  ): Promise<Delivery | undefined> {
    const waitMs = this.checkTake(input);
    // 503, not an empty 204: a worker that re-polls at once would spin until we exit.
    if (this.#closing) throw shuttingDown();
    if (signal?.aborted) return undefined;

    let wait: ParkedWait;
    try {
      wait = this.#parking.park(input.service, waitMs, signal, input.fromSocket !== true);
    } catch (full) {
      // A hub or service full of parked calls ([P-LIMITS], [P-SHARES]) must still
      // hand them to the worker that would drain it: a job queued needs no parking.
      const queued = await this.#takeOne(input, takerOf(input));
      if (!queued) throw full;
      return signal?.aborted ? this.#handBack(queued) : queued;
    }
    // A take that finds nothing stays parked till then: a worker present, on any replica.
    const taker = takerOf(input, waitMs > 0 ? Date.now() + waitMs : undefined);
    try {
      return await this.#waitForWork(input, taker, wait, signal, look);
    } finally {
      wait.end();
    }
  }

  /**
   * Joins the service's parked takes, then looks each time it is woken. With no
   * older take waiting here ([P-FIFO]) it looks at once: a busy service's case.
   * It joins before that first look, not after: with a networked store a look
   * is a round trip, and the notices of jobs queued during it must find a take
   * to wake or be kept as owed, never dropped ([P-HANDOFF]).
   */
  async #waitForWork(
    input: TakeInput,
    taker: Taker,
    wait: ParkedWait,
    signal: CancelSignal | undefined,
    look: LookMark | undefined,
  ): Promise<Delivery | undefined> {
    const parked = this.#waiters.park(input.service, look?.emptyAt);
    try {
      while (await parked.woken(wait.signal)) {
        if (look) look.heardAtLook = this.#waiters.noticesHeard;
        const delivery = await this.#takeOne(input, taker);
        if (!delivery) continue;
        // A job found as the wait ran out is still the worker's; only one that left hands it back.
        return signal?.aborted ? await this.#handBack(delivery) : delivery;
      }
      return undefined;
    } finally {
      parked.leave();
    }
  }

  /** One queued job of the service, leased from now; undefined when none is queued. */
  async #takeOne(input: TakeInput, taker: Taker): Promise<Delivery | undefined> {
    const [delivery] = await this.#store.claimQueued(input.service, TAKE_ONE, taker);
    if (delivery) this.#leased(delivery);
    return delivery;
  }

  /**
   * A delivery's lease runs from now: the reaper runs by its end. The jobs a batch
   * take adds after its first are leased in the same turn, so their leases end no
   * sooner than the first's, and the reap then names them.
   */
  #leased(delivery: Delivery): void {
    this.#reaper.expectBy(Date.now() + delivery.leaseMs);
  }

  /** The worker left between the hand-off and now, so it never saw the job: it goes back. */
  async #handBack(delivery: Delivery): Promise<undefined> {
    await this.#store.release(delivery.id);
    return undefined;
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

  /**
   * Answers a job and takes the next one, as one step of the store: one exchange,
   * and one trip to a networked store, instead of two. When nothing is queued
   * the take parks as `take` does. `next` is checked before the answer is handed
   * over, so a malformed request changes nothing.
   */
  async answerAndTake(
    id: string,
    answer: Answer,
    next: TakeInput,
    signal?: CancelSignal,
    look: LookMark = { heardAtLook: this.#waiters.noticesHeard },
  ): Promise<Delivery | undefined> {
    this.checkTake(next);
    checkAnswer(answer);
    if (this.#closing || this.#waiters.count(next.service) > 0) {
      // Shutting down, or older takes wait here ([P-FIFO]): answer only, then take as `take` does.
      await this.answer(id, answer);
      return this.#batching.takeAfterAnswers(() => this.take(next, signal, look), undefined);
    }
    look.heardAtLook = this.#waiters.noticesHeard;
    let taken: Awaited<ReturnType<JobStore['answerAndTake']>>;
    try {
      taken = await this.#store.answerAndTake(id, answer, next.service, TAKE_ONE, takerOf(next));
    } catch (refused) {
      // The answer is in, the take refused (job-store.ts): the take alone, as after any answer.
      if (!isHubError(refused) || refused.code !== ErrorCode.TooManyServices) throw refused;
      return this.#batching.takeAfterAnswers(() => this.take(next, signal, look), undefined);
    }
    if (isGone(taken)) throw deliveryGoneError(id, taken);
    const [delivery] = taken;
    if (delivery) {
      this.#leased(delivery);
      return signal?.aborted ? this.#handBack(delivery) : delivery;
    }
    // The store's step looked and found the queue empty: the take waits
    // without a look of its own (a round trip) unless a notice came since.
    look.emptyAt = look.heardAtLook;
    return this.#batching.takeAfterAnswers(() => this.take(next, signal, look), undefined);
  }

  /** Hands a worker's answer to the job's caller; `id` is the delivery's. */
  async answer(id: string, answer: Answer): Promise<void> {
    checkAnswer(answer);
    const gone = await this.#store.answer(id, answer);
    if (gone) throw deliveryGoneError(id, gone);
  }

  /** Extends a delivery's lease; resolves its new end in epoch milliseconds. */
  async heartbeat(id: string): Promise<number> {
    const leaseUntil = await this.#store.heartbeat(id);
    if (isGone(leaseUntil)) throw deliveryGoneError(id, leaseUntil);
    // AstroHub's workers get their first lease with their first heartbeat.
    this.#reaper.expectBy(leaseUntil);
    return leaseUntil;
  }

  /** A worker could not do a job: hand it on if it asks and attempts remain, else fail the call. */
  async fail(id: string, failure: Failure): Promise<FailOutcome> {
    const message = failure.message.slice(0, MAX_FAILURE_MESSAGE);
    const outcome = await this.#store.fail(id, { message, retry: failure.retry });
    if (isGone(outcome)) throw deliveryGoneError(id, outcome);
    return outcome;
  }

  /**
   * Counts a WebSocket serving `service` until the returned function is called
   * (its socket closed): `webSocketWorkers` in `GET /status`.
   */
  socketServes(service: string): () => void {
    this.#sockets.set(service, (this.#sockets.get(service) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#sockets.get(service) ?? 1) - 1;
      if (left === 0) this.#sockets.delete(service);
      else this.#sockets.set(service, left);
    };
  }

  /**
   * Tells `holder` once, by `handOutEnded(deliveryId)`, when the delivery ends,
   * however and wherever (an answer over HTTP, a lapsed lease): a WebSocket
   * session frees the slot of a job it holds. One object per holder, not a
   * closure per job: this runs for every job a socket takes.
   */
  watchHandOut(deliveryId: string, holder: HandOutHolder): void {
    this.#handOutHolders.set(deliveryId, holder);
  }

  /** Stops telling anyone of `deliveryId` (its holder let it go itself). */
  unwatchHandOut(deliveryId: string): void {
    this.#handOutHolders.delete(deliveryId);
  }

  /** The store's word that a delivery ended (create-hub.ts wires it). */
  handOutEnded(deliveryId: string): void {
    const holder = this.#handOutHolders.get(deliveryId);
    if (holder === undefined) return;
    this.#handOutHolders.delete(deliveryId);
    holder.handOutEnded(deliveryId);
  }

  async status(): Promise<HubStatus> {
    const services = (await this.#store.stats()).map((s) => ({
      ...s,
      waitingWorkers: this.#waiters.count(s.service),
      webSocketWorkers: this.#sockets.get(s.service) ?? 0,
    }));
    const total = {} as Record<ServiceFigure, number>;
    for (const key of SERVICE_FIGURES) total[key] = services.reduce((sum, s) => sum + s[key], 0);
    const { calls, polls } = this.parked;
    return {
      ready: this.ready,
      store: this.#store.kind,
      replica: this.replica,
      parkedCalls: calls,
      parkedPolls: polls,
      total,
      services,
      webhooks: await this.webhooks.figures(),
    };
  }

  /** The service of a job a worker holds, by its delivery id; undefined if none is held under it. */
  serviceOf(deliveryId: string): Promise<string | undefined> {
    return this.#store.serviceOf(deliveryId);
  }

  /** Keeps a worker's documentation of an event's service for the catalogue; false when the store is full of others'. */
  documentEvent(service: string, record: EventDocRecord): Promise<boolean> {
    this.#assertService(service);
    return this.#store.eventDocs.put(service, record);
  }

  /** The catalogue's documentation of each of `services` that has some. */
  eventDocs(services: readonly string[]): Promise<Map<string, EventDocRecord>> {
    return this.#store.eventDocs.get(services);
  }

  /** Each service's queue, the wait of its oldest job, and the workers seen recently. */
  async services(): Promise<ServiceDetail[]> {
    return (await this.#store.services()).map((s) => ({
      ...s,
      waitingWorkers: this.#waiters.count(s.service),
    }));
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
    this.#parking.endAll();
    this.topics.close();
    this.webhooks.close();
    await this.#calls.close(graceMs);
    for (const waiter of this.#async.waiters) waiter.fail(shuttingDown());
    this.#reaper.close();
    await this.#store.close();
  }

  /** Validates a take's service and wait, as `take` does; returns the wait in milliseconds. */
  checkTake(input: TakeInput): number {
    this.#assertService(input.service);
    return checkTimeout(input.timeoutMs, 0, this.#options.maxPollTimeoutMs, {
      fallback: this.#options.pollTimeoutMs,
      what: "the poll's wait (?timeout or Hub-Timeout)",
    });
  }
}

/** An answer's status must be one HTTP allows, and a bodyless status must come without a body. */
function checkAnswer(answer: Answer): void {
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
}

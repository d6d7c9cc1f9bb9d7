import { nanoid } from 'nanoid';
import type { Answer, Delivery, Failure, Job } from '../domain/job.js';
import { ErrorCode } from '../errors.js';
import { SERVICE_COUNTERS, type ServiceCounter } from '../protocol.js';
import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';
import { noop } from '../util/noop.js';
import { FinishedJobs, type FinishedState } from './finished-jobs.js';
import type {
  DeliveryGone,
  EnqueueOptions,
  EnqueueResult,
  ErrorData,
  FailOutcome,
  GiveUpOutcome,
  JobOutcome,
  JobStore,
  RunRecord,
  StoreFeed,
  StoreOptions,
  StoreServiceDetail,
  StoreStats,
  TakeLimits,
  Taker,
} from './job-store.js';
import { type LeaseNode, Leases } from './leases.js';
import { MemoryEventDocs } from './memory-event-docs.js';
import { MemoryResults } from './memory-results.js';
import { MemoryTopics } from './memory-topics.js';
import { MemoryWebhooks } from './memory-webhooks.js';
import { refusals } from './refusals.js';
import { type WorkerEntry, WorkerTable } from './worker-table.js';

/** A memory store's options: the settings every store takes (job-store.ts). */
export type MemoryStoreOptions = StoreOptions;

/** The id of workers that do not name themselves with `Hub-Worker`. */
const ANONYMOUS_WORKER = 'anonymous';

interface HandOut {
  readonly id: string;
  /** None while a hand-out waits for its first heartbeat (`leaseAfterFirstHeartbeat`). */
  lease: LeaseNode<JobRecord> | undefined;
  readonly worker: WorkerEntry;
}

interface JobRecord {
  readonly job: Job;
  readonly service: ServiceState;
  /** Its outcome is kept after it ends: an async or idempotent call. */
  readonly isRun: boolean;
  /** Set while the job is queued. */
  queued: QueueNode<JobRecord> | undefined;
  /** When it was (last) queued, for the age of the oldest queued job. */
  queuedAt: number;
  /** Set while a worker holds the job. */
  handOut: HandOut | undefined;
  /** Hand-outs so far that the worker received. */
  attempts: number;
}

class ServiceState {
  readonly queue = new LinkedQueue<JobRecord>();
  readonly workers: WorkerTable;
  inFlight = 0;
  /** Until when a take that found nothing waits: a worker is present until then. */
  parkedUntil = 0;
  readonly counts: Record<ServiceCounter, number> = zeroCounts();

  constructor(
    readonly name: string,
    workerWindowMs: number,
    maxWorkers: number,
  ) {
    this.workers = new WorkerTable(workerWindowMs, maxWorkers);
  }

  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight === 0;
  }
}

function zeroCounts(): Record<ServiceCounter, number> {
  const counts = {} as Record<ServiceCounter, number>;
  for (const counter of SERVICE_COUNTERS) counts[counter] = 0;
  return counts;
}

function countGiveUp(service: ServiceState, reason: ErrorData): void {
  if (reason.code === ErrorCode.Timeout) service.counts.timedOut++;
  else if (reason.code === ErrorCode.Cancelled) service.counts.cancelled++;
  else service.counts.rejected++;
}

/** Tells nobody: the feed of a store nobody has subscribed to yet. */
const UNHEARD: StoreFeed = {
  work: noop,
  ended: noop,
  handOutEnded: noop,
  taken: noop,
  retried: noop,
  unreachable: noop,
  published: noop,
  deleted: noop,
};

/** The embedded, single-process store: everything lives in this process's memory. */
export class MemoryStore implements JobStore {
  readonly kind = 'memory';
  readonly #options: MemoryStoreOptions;
  readonly #results: MemoryResults;
  readonly #services = new Map<string, ServiceState>();
  /** Live jobs by job id: queued or held. */
  readonly #jobs = new Map<string, JobRecord>();
  /** Held jobs by the id of their current delivery. */
  readonly #deliveries = new Map<string, JobRecord>();
  readonly #finished: FinishedJobs;
  readonly #leases: Leases<JobRecord>;
  readonly #startedAt = Date.now();
  #feed: StoreFeed = UNHEARD;
  readonly topics: MemoryTopics;
  readonly webhooks: MemoryWebhooks;
  readonly eventDocs: MemoryEventDocs;

  constructor(options: MemoryStoreOptions) {
    this.#options = options;
    this.topics = new MemoryTopics(options.topics, () => this.#feed);
    this.webhooks = new MemoryWebhooks(options.webhooks);
    this.eventDocs = new MemoryEventDocs(options.eventDocs);
    this.#results = new MemoryResults(options.results);
    this.#finished = new FinishedJobs({
      ttlMs: options.finishedJobTtlMs,
      maxEntries: options.maxFinishedJobs,
    });
    this.#leases = new Leases(options.leaseMs);
  }

  async subscribe(feed: StoreFeed): Promise<void> {
    this.#feed = feed;
  }

  async enqueue(job: Job, options: EnqueueOptions): Promise<EnqueueResult> {
    if (options.run) {
      const joined = this.#results.begin({ id: job.id, service: job.service, ...options.run });
      if (joined) return { joined };
    }
    try {
      this.#admit(job, options);
    } catch (refused) {
      this.#results.forget(job.id);
      throw refused;
    }
    return undefined;
  }

  /** Queues a job the checks let in, or throws the refusal. */
  #admit(job: Job, options: EnqueueOptions): void {
    // Checked before the service is looked up, so refused calls to made-up names leave no state behind.
    if (options.requireWorkers) this.#checkWorkers(job.service);
    const service = this.#service(job.service);
    if (service.queue.size >= this.#options.maxQueuedPerService) {
      service.counts.rejected++;
      throw refusals.queueFull(job.service, service.queue.size);
    }
    const record: JobRecord = {
      job,
      service,
      isRun: options.run !== undefined,
      queued: undefined,
      queuedAt: 0,
      handOut: undefined,
      attempts: 0,
    };
    this.#jobs.set(job.id, record);
    service.counts.calls++;
    this.#queue(record, 'tail');
  }

  async claimQueued(serviceName: string, limits: TakeLimits, taker?: Taker): Promise<Delivery[]> {
    return this.#take(serviceName, limits, taker);
  }

  #take(serviceName: string, limits: TakeLimits, taker: Taker | undefined): Delivery[] {
    const service = this.#service(serviceName);
    const worker = service.workers.see(taker?.workerId ?? ANONYMOUS_WORKER, Date.now());
    const deliveries: Delivery[] = [];
    let bytes = 0;
    while (deliveries.length < limits.count) {
      const next = service.queue.first;
      if (!next) break;
      bytes += next.job.payload.body.byteLength;
      if (bytes > limits.bytes) break;
      service.queue.shift();
      deliveries.push(this.#handOut(next, worker));
    }
    if (deliveries.length === 0 && taker?.parkedUntil !== undefined) {
      service.parkedUntil = Math.max(service.parkedUntil, taker.parkedUntil);
    }
    // More are queued: the next parked take must look too, whatever notices were missed.
    if (deliveries.length > 0 && service.queue.size > 0) this.#feed.work(serviceName);
    return deliveries;
  }

  async answerAndTake(
    deliveryId: string,
    answer: Answer,
    service: string,
    limits: TakeLimits,
    taker?: Taker,
  ): Promise<Delivery[] | DeliveryGone> {
    const gone = this.#answer(deliveryId, answer);
    return gone ?? this.#take(service, limits, taker);
  }

  async release(deliveryId: string): Promise<boolean> {
    const record = this.#deliveries.get(deliveryId);
    if (!record) return false;
    // The worker never received this hand-out, so it does not use up an attempt.
    record.attempts--;
    this.#endHandOut(record, undefined);
    this.#queue(record, 'head');
    return true;
  }

  async answer(deliveryId: string, answer: Answer): Promise<DeliveryGone | undefined> {
    return this.#answer(deliveryId, answer);
  }

  #answer(deliveryId: string, answer: Answer): DeliveryGone | undefined {
    const record = this.#held(deliveryId);
    if (!record) return this.#gone(deliveryId);
    record.service.counts.answered++;
    this.#end(record, 'answered', { answer });
    return undefined;
  }

  async heartbeat(deliveryId: string): Promise<number | DeliveryGone> {
    const record = this.#held(deliveryId);
    if (!record) return this.#gone(deliveryId);
    // biome-ignore lint/style/noNonNullAssertion: #held returns only records with a hand-out
    const handOut = record.handOut!;
    if (handOut.lease) return this.#leases.renew(handOut.lease);
    handOut.lease = this.#leases.grant(record);
    return handOut.lease.value.expiresAt;
  }

  async fail(deliveryId: string, failure: Failure): Promise<FailOutcome | DeliveryGone> {
    const record = this.#held(deliveryId);
    if (!record) return this.#gone(deliveryId);
    if (failure.retry) return this.#retryOrFail(record, failure.message);
    this.#failFinally(record, failure.message);
    return 'failed';
  }

  async giveUp(jobId: string, reason: ErrorData): Promise<GiveUpOutcome> {
    const record = this.#jobs.get(jobId);
    if (!record) return 'settled';
    const wasQueued = record.queued !== undefined;
    countGiveUp(record.service, reason);
    this.#end(record, 'caller_gone', { error: { code: reason.code, message: reason.message } });
    return wasQueued ? 'withdrawn' : 'abandoned';
  }

  async withdrawQueued(jobId: string, reason: ErrorData): Promise<boolean> {
    const record = this.#jobs.get(jobId);
    if (!record?.queued) return false;
    record.service.counts.rejected++;
    this.#end(record, 'caller_gone', { error: { code: reason.code, message: reason.message } });
    return true;
  }

  async run(id: string): Promise<RunRecord | undefined> {
    return this.#results.get(id);
  }

  async jobState(jobId: string): Promise<'queued' | 'in_flight' | undefined> {
    const record = this.#jobs.get(jobId);
    if (!record) return undefined;
    return record.queued ? 'queued' : 'in_flight';
  }

  async workerLastSeenAt(service: string): Promise<number | undefined> {
    const lastSeenAt = this.#services.get(service)?.workers.lastSeenAt ?? 0;
    return lastSeenAt > 0 ? lastSeenAt : undefined;
  }

  async serviceOf(deliveryId: string): Promise<string | undefined> {
    return this.#deliveries.get(deliveryId)?.job.service;
  }

  async stats(): Promise<StoreStats[]> {
    return [...this.#services.values()].map((s) => ({
      service: s.name,
      queued: s.queue.size,
      inFlight: s.inFlight,
      ...s.counts,
    }));
  }

  async services(): Promise<StoreServiceDetail[]> {
    const now = Date.now();
    return [...this.#services.values()].map((s) => {
      const oldest = s.queue.first;
      return {
        service: s.name,
        queued: s.queue.size,
        inFlight: s.inFlight,
        oldestQueuedMs: oldest ? now - oldest.queuedAt : 0,
        workers: s.workers.list(now),
      };
    });
  }

  async reapExpired(now: number): Promise<number | undefined> {
    for (const record of this.#leases.expired(now)) this.#leaseExpired(record);
    return this.#leases.nextEnd;
  }

  async close(): Promise<void> {}

  /** The record a current delivery holds, counting its worker as seen; undefined when not current. */
  #held(deliveryId: string): JobRecord | undefined {
    const record = this.#deliveries.get(deliveryId);
    // biome-ignore lint/style/noNonNullAssertion: every record in #deliveries has a hand-out
    if (record) record.service.workers.see(record.handOut!.worker.id, Date.now());
    return record;
  }

  /** How a delivery that is not current ended, as far as it is remembered. */
  #gone(deliveryId: string): DeliveryGone {
    return this.#finished.get(deliveryId) ?? 'unknown';
  }

  /** Queues the job at the given end, and says there is work for its service. */
  #queue(record: JobRecord, end: 'head' | 'tail'): void {
    const queue = record.service.queue;
    record.queued = end === 'tail' ? queue.push(record) : queue.unshift(record);
    record.queuedAt = Date.now();
    this.#feed.work(record.service.name);
  }

  #handOut(record: JobRecord, worker: WorkerEntry): Delivery {
    const id = nanoid();
    const queuedMs = record.queued ? Date.now() - record.queuedAt : 0;
    this.#feed.taken(record.job.service, queuedMs);
    record.queued = undefined;
    record.attempts++;
    const lease = this.#options.leaseAfterFirstHeartbeat ? undefined : this.#leases.grant(record);
    record.handOut = { id, lease, worker };
    record.service.inFlight++;
    worker.inFlight++;
    this.#deliveries.set(id, record);
    const leaseMs = lease ? this.#leases.leaseMs : Math.max(0, record.job.deadline - Date.now());
    return { id, job: record.job, attempt: record.attempts, leaseMs };
  }

  /** Ends the current hand-out, remembering its id as `state` for late requests. */
  #endHandOut(record: JobRecord, state: FinishedState | undefined): void {
    const handOut = record.handOut;
    if (!handOut) return;
    this.#deliveries.delete(handOut.id);
    if (handOut.lease) this.#leases.end(handOut.lease);
    handOut.worker.inFlight--;
    record.service.inFlight--;
    record.handOut = undefined;
    if (state) this.#finished.add(handOut.id, state);
    this.#feed.handOutEnded(handOut.id);
  }

  /**
   * Ends a job, wherever it was: out of the live tables, its run finished in
   * the same step, and its outcome told.
   */
  #end(record: JobRecord, state: FinishedState, outcome: JobOutcome): void {
    this.#jobs.delete(record.job.id);
    if (record.queued) record.service.queue.remove(record.queued);
    record.queued = undefined;
    this.#endHandOut(record, state);
    if (record.isRun) this.#results.finish(record.job.id, outcome);
    this.#feed.ended(record.job.id, outcome);
  }

  #retried(record: JobRecord, reason: string, outcome: FailOutcome): void {
    const { job } = record;
    this.#feed.retried({
      service: job.service,
      jobId: job.id,
      flowId: job.payload.flowId,
      attempt: record.attempts,
      reason,
      outcome,
    });
  }

  /** Hands the job out again while attempts and time remain; otherwise the call fails with `message`. */
  #retryOrFail(record: JobRecord, message: string): FailOutcome {
    if (record.attempts >= record.job.maxAttempts || Date.now() >= record.job.deadline) {
      this.#retried(record, message, 'failed');
      this.#failFinally(record, message);
      return 'failed';
    }
    this.#retried(record, message, 'retrying');
    this.#endHandOut(record, 'lease_lost');
    record.service.counts.redelivered++;
    this.#queue(record, 'head');
    return 'retrying';
  }

  #failFinally(record: JobRecord, message: string): void {
    record.service.counts.failed++;
    this.#end(record, 'lease_lost', { error: { code: ErrorCode.WorkerFailed, message } });
  }

  #leaseExpired(record: JobRecord): void {
    this.#retryOrFail(
      record,
      `the worker neither answered nor sent a heartbeat within the ${this.#leases.leaseMs} ms lease (attempt ${record.attempts} of ${record.job.maxAttempts})`,
    );
  }

  #checkWorkers(name: string): void {
    const service = this.#services.get(name);
    const now = Date.now();
    if (service && (service.inFlight > 0 || service.parkedUntil > now)) return;
    const lastSeenAt = service?.workers.lastSeenAt ?? 0;
    if (lastSeenAt > 0 && now - lastSeenAt <= this.#options.workerWindowMs) return;
    throw refusals.noWorkers(name, now, lastSeenAt, this.#startedAt);
  }

  #service(name: string): ServiceState {
    const known = this.#services.get(name);
    if (known) return known;
    if (this.#services.size >= this.#options.maxServices) this.#forgetAnIdleService(name);
    const created = new ServiceState(
      name,
      this.#options.workerWindowMs,
      this.#options.maxWorkersPerService,
    );
    this.#services.set(name, created);
    return created;
  }

  /**
   * Makes room for a new service by forgetting the oldest idle one (its counters go
   * with it). Runs only when the table is full, so the scan is off the hot path.
   */
  #forgetAnIdleService(newName: string): void {
    for (const [name, state] of this.#services) {
      if (state.idle) {
        this.#services.delete(name);
        return;
      }
    }
    throw refusals.tooManyServices(newName, this.#services.size);
  }
}

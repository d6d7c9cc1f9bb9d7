import type { Answer, Job, ServiceStats } from '../core/types.js';
import { ErrorCode, HubError } from '../errors.js';
import { FinishedJobs } from './finished-jobs.js';
import type { GiveUpOutcome, GiveUpReason, JobStore, Ticket } from './job-store.js';
import { LinkedQueue, type QueueNode } from './linked-queue.js';

export interface MemoryStoreOptions {
  /** Queued (not yet claimed) jobs per service before `queue_full`. */
  readonly maxQueuedPerService: number;
  /** Services tracked at once; idle ones are forgotten first. */
  readonly maxServices: number;
  /** How long a finished job's id is remembered, for precise late-answer errors. */
  readonly finishedJobTtlMs: number;
  /** How many finished job ids are remembered at most. */
  readonly maxFinishedJobs: number;
}

interface Claim {
  readonly resolve: (job: Job | undefined) => void;
}

interface JobRecord {
  readonly job: Job;
  readonly service: ServiceState;
  readonly deliver: (answer: Answer) => void;
  /** Set while the job is queued; undefined while a worker holds it. */
  node: QueueNode<JobRecord> | undefined;
}

class ServiceState {
  readonly queue = new LinkedQueue<JobRecord>();
  readonly claims = new LinkedQueue<Claim>();
  inFlight = 0;
  calls = 0;
  answered = 0;
  timedOut = 0;
  cancelled = 0;
  rejected = 0;

  constructor(readonly name: string) {}

  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight === 0 && this.claims.size === 0;
  }
}

function countGiveUp(service: ServiceState, reason: GiveUpReason): void {
  if (reason === 'timeout') service.timedOut++;
  else if (reason === 'cancelled') service.cancelled++;
  else service.rejected++;
}

/** The embedded, single-process store: everything lives in this process's memory. */
export class MemoryStore implements JobStore {
  readonly #options: MemoryStoreOptions;
  readonly #services = new Map<string, ServiceState>();
  readonly #jobs = new Map<string, JobRecord>();
  readonly #finished: FinishedJobs;

  constructor(options: MemoryStoreOptions) {
    this.#options = options;
    this.#finished = new FinishedJobs({
      ttlMs: options.finishedJobTtlMs,
      maxEntries: options.maxFinishedJobs,
    });
  }

  async enqueue(job: Job): Promise<Ticket> {
    const service = this.#service(job.service);
    if (service.claims.size === 0 && service.queue.size >= this.#options.maxQueuedPerService) {
      service.rejected++;
      throw new HubError(
        ErrorCode.QueueFull,
        `service '${job.service}' already has ${service.queue.size} queued jobs`,
      );
    }
    let deliver!: (answer: Answer) => void;
    const answer = new Promise<Answer>((resolve) => {
      deliver = resolve;
    });
    const record: JobRecord = { job, service, deliver, node: undefined };
    this.#jobs.set(job.id, record);
    service.calls++;
    this.#handOutOrQueue(record, 'tail');
    return { answer };
  }

  async claim(serviceName: string, signal: AbortSignal): Promise<Job | undefined> {
    if (signal.aborted) return undefined;
    const service = this.#service(serviceName);
    const queued = service.queue.shift();
    if (queued) return this.#handOut(queued);
    return new Promise((resolve) => {
      const onAbort = () => {
        service.claims.remove(node);
        resolve(undefined);
      };
      const node = service.claims.push({
        resolve(job) {
          signal.removeEventListener('abort', onAbort);
          resolve(job);
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async release(id: string): Promise<boolean> {
    const record = this.#jobs.get(id);
    if (!record || record.node) return false;
    record.service.inFlight--;
    this.#handOutOrQueue(record, 'head');
    return true;
  }

  async answer(id: string, answer: Answer): Promise<void> {
    const record = this.#jobs.get(id);
    if (!record) throw this.#finishedError(id);
    this.#finish(record, 'answered');
    record.service.answered++;
    record.deliver(answer);
  }

  async giveUp(id: string, reason: GiveUpReason): Promise<GiveUpOutcome> {
    const record = this.#jobs.get(id);
    if (!record) return this.#finished.get(id) === 'answered' ? 'answered' : 'withdrawn';
    const wasQueued = record.node !== undefined;
    this.#finish(record, 'caller_gone');
    countGiveUp(record.service, reason);
    return wasQueued ? 'withdrawn' : 'abandoned';
  }

  async withdrawQueued(id: string): Promise<boolean> {
    const record = this.#jobs.get(id);
    if (!record?.node) return false;
    this.#finish(record, 'caller_gone');
    record.service.rejected++;
    return true;
  }

  async stats(): Promise<ServiceStats[]> {
    return [...this.#services.values()].map((s) => ({
      service: s.name,
      queued: s.queue.size,
      inFlight: s.inFlight,
      waitingWorkers: s.claims.size,
      calls: s.calls,
      answered: s.answered,
      timedOut: s.timedOut,
      cancelled: s.cancelled,
      rejected: s.rejected,
    }));
  }

  /** Gives the job to the longest-waiting claim, or queues it at the given end. */
  #handOutOrQueue(record: JobRecord, end: 'head' | 'tail'): void {
    const claim = record.service.claims.shift();
    if (claim) {
      claim.resolve(this.#handOut(record));
      return;
    }
    const queue = record.service.queue;
    record.node = end === 'tail' ? queue.push(record) : queue.unshift(record);
  }

  #handOut(record: JobRecord): Job {
    record.node = undefined;
    record.service.inFlight++;
    return record.job;
  }

  /** Takes a job out of the live tables, wherever it was, and remembers how it ended. */
  #finish(record: JobRecord, state: 'answered' | 'caller_gone'): void {
    this.#jobs.delete(record.job.id);
    if (record.node) record.service.queue.remove(record.node);
    else record.service.inFlight--;
    record.node = undefined;
    this.#finished.add(record.job.id, state);
  }

  #finishedError(id: string): HubError {
    switch (this.#finished.get(id)) {
      case 'answered':
        return new HubError(ErrorCode.AlreadyAnswered, `job '${id}' was already answered`);
      case 'caller_gone':
        return new HubError(ErrorCode.CallerGone, `the caller of job '${id}' is no longer waiting`);
      default:
        return new HubError(ErrorCode.UnknownJob, `no job '${id}' is queued or in flight`);
    }
  }

  #service(name: string): ServiceState {
    const known = this.#services.get(name);
    if (known) return known;
    if (this.#services.size >= this.#options.maxServices) this.#forgetAnIdleService(name);
    const created = new ServiceState(name);
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
    throw new HubError(
      ErrorCode.TooManyServices,
      `cannot track service '${newName}': ${this.#services.size} services are busy`,
    );
  }
}

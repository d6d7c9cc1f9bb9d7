import type { Answer, Delivery, Failure, Job } from '../domain/job.js';
import type { ErrorCode } from '../errors.js';
import type { ServiceStats } from '../protocol.js';
import type { ResultStore, ResultStoreOptions } from './result-store.js';

/**
 * An error as it crosses the store: its code and message, plain data that a
 * networked store can keep and send. The store makes its own `HubError` of it;
 * it never holds on to the core's objects.
 */
export interface ErrorData {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Where a job was when its caller gave up. */
export type GiveUpOutcome =
  /** It was still queued and has been withdrawn: no worker will ever see it. */
  | 'withdrawn'
  /** A worker holds it; that worker's answer will now get `caller_gone`. */
  | 'abandoned'
  /** It had already ended (answered, or failed for good): the ticket holds the outcome. */
  | 'settled';

/** Handed back by `enqueue`: the caller's side of the job. */
export interface Ticket {
  /**
   * Settles once, when the job ends in the store: with the worker's answer, or
   * rejecting with a `HubError` (`worker_failed`, or the reason it was given up or
   * withdrawn with). Never rejects on its own for the caller's deadline: the core owns deadlines.
   */
  readonly answer: Promise<Answer>;
}

export interface EnqueueOptions {
  /**
   * Refuse with `no_workers` when no worker of the service holds a job or was
   * seen within the store's worker window. (The hub, which keeps the parked
   * takes, passes false while one of its own waits.)
   */
  readonly requireWorkers: boolean;
}

/** What `fail` did with the job. */
export type FailOutcome = 'retrying' | 'failed';

/** A worker as `GET /services` lists it. */
export interface WorkerSeen {
  readonly id: string;
  /** Epoch milliseconds of its last poll, answer, heartbeat or failure report. */
  readonly lastSeenAt: number;
  readonly inFlight: number;
}

/**
 * What a store reports as it happens, for metrics and logs: each must only
 * count or log. The hub passes them on to its observers.
 */
export interface JobEvents {
  /** A job was handed to a worker after waiting `queuedMs` in its queue (0: a worker was waiting). */
  jobTaken(service: string, queuedMs: number): void;
  /**
   * A hand-out was lost (lease expired, retryable failure, closed socket):
   * `retrying` when the job goes out again, `failed` when its call fails.
   */
  jobRetried(job: Job, attempt: number, reason: string, outcome: FailOutcome): void;
  /**
   * A delivery ended, however (answered, failed, lease lost, withdrawn): whoever
   * holds it, a WebSocket worker among them, can let its slot go.
   */
  handOutEnded?(deliveryId: string): void;
}

/** A service's figures as the store keeps them: all but the parked takes and sockets, which are the hub's own. */
export type StoreStats = Omit<ServiceStats, 'webSocketWorkers' | 'waitingWorkers'>;

/** Per-service figures for `GET /services` as the store keeps them: queue, held jobs, oldest wait, workers. */
export interface StoreServiceDetail extends Pick<ServiceStats, 'service' | 'queued' | 'inFlight'> {
  /** Milliseconds the oldest queued job has waited; 0 when nothing is queued. */
  readonly oldestQueuedMs: number;
  readonly workers: readonly WorkerSeen[];
}

/**
 * Where jobs live between a caller and a worker. The core owns validation,
 * deadlines and shutdown; a store owns the queues, the parked workers, the leases
 * and the state of each job, and must keep these promises (test/store/contract.ts
 * checks every one of them against every store):
 *
 * - FIFO per service: jobs are taken in the order they were enqueued. A job
 *   handed out again goes to the head of the queue.
 * - Takes never wait: the hub parks its polls itself (core/work-waiters.ts) and
 *   the store tells it, through `watchWork`, when work may be waiting for a
 *   service (a job queued or put back), after the change: a parked take then
 *   takes it, with no polling interval.
 * - Only plain data crosses the store's boundary in its take operations: no
 *   signals, no waiting.
 * - Leases: a delivery not answered, heartbeated or failed within `leaseMs` is
 *   lost when the owner next calls `reapExpired`; the job is handed out again
 *   (attempt + 1) while attempts and time remain, otherwise its ticket rejects
 *   with `worker_failed`. The store keeps no timers: time is passed in.
 * - Each job is answered at most once, and only through its current delivery; the
 *   state of a finished delivery is remembered for a bounded time and count, so
 *   late answers get a precise error instead of `unknown_job`.
 * - Memory is bounded: a service with nothing queued, in flight or waiting
 *   keeps only its counters, and at most `maxServices` services are tracked.
 */
export interface JobStore {
  /**
   * The outcomes of async and idempotent calls and their idempotency keys: kept
   * with the jobs, so that replicas sharing a store share them too.
   */
  readonly results: ResultStore;

  /**
   * Adds a job at the tail of its service's queue and tells `watchWork`. Throws
   * `HubError` `queue_full`, `too_many_services` or `no_workers`.
   */
  enqueue(job: Job, options: EnqueueOptions): Promise<Ticket>;

  /**
   * Names the one listener told, after each change that may have left work for
   * a service (a job queued, put back or handed out again), that service's name.
   */
  watchWork(listener: (service: string) => void): void;

  /**
   * Takes jobs queued for `service`, oldest first, for the worker `workerId`: at
   * most `limits.count` of them, and no more than `limits.bytes` of bodies in all
   * (it stops at the first job that would pass it), in one step: two takes never
   * get one job. Never waits. Counts the worker as seen, even when it takes
   * nothing.
   */
  claimQueued(
    service: string,
    limits: { readonly count: number; readonly bytes: number },
    workerId?: string,
  ): Promise<Delivery[]>;

  /**
   * Puts a job whose worker never received this delivery back at the head of its
   * queue, without using up an attempt. Returns false if the delivery is no
   * longer current.
   */
  release(deliveryId: string): Promise<boolean>;

  /**
   * Delivers a worker's answer to the job's caller. Throws `HubError` `unknown_job`,
   * `already_answered`, `caller_gone` or `lease_lost`.
   */
  answer(deliveryId: string, answer: Answer): Promise<void>;

  /** Extends the delivery's lease by `leaseMs`; resolves the new lease end (epoch ms). Throws as `answer` does. */
  heartbeat(deliveryId: string): Promise<number>;

  /** A worker could not do the job: hand it out again if asked and allowed, else fail the call. Throws as `answer` does. */
  fail(deliveryId: string, failure: Failure): Promise<FailOutcome>;

  /**
   * The caller stopped waiting, with `reason` (`timeout`, `cancelled` or
   * `shutting_down`, counted per service by its code; shutdown counts as rejected):
   * withdraw the job if queued, otherwise mark it abandoned. The ticket rejects with
   * a `HubError` of `reason`'s code and message.
   */
  giveUp(jobId: string, reason: ErrorData): Promise<GiveUpOutcome>;

  /**
   * Withdraws the job only if it is still queued, rejecting its ticket with a
   * `HubError` of `reason`'s code and message: shutdown turns queued jobs away this way while letting in-flight ones
   * finish, and so does a caller's queue timeout. Returns true if it was withdrawn.
   */
  withdrawQueued(jobId: string, reason: ErrorData): Promise<boolean>;

  /** Whether a live job is waiting for a worker or held by one; undefined once it has ended. */
  jobState(jobId: string): Promise<'queued' | 'in_flight' | undefined>;

  /**
   * When a worker of the service last polled, answered, heartbeated or failed a
   * job (epoch ms), as far as the store still remembers; undefined when none has.
   */
  workerLastSeenAt(service: string): Promise<number | undefined>;

  /** The service of a current delivery; undefined when it is not current. For authorization. */
  serviceOf(deliveryId: string): Promise<string | undefined>;

  /** Figures for every tracked service, in the order the services were first seen. */
  stats(): Promise<StoreStats[]>;

  /** Queues, oldest waits and recently seen workers, for `GET /services`. */
  services(): Promise<StoreServiceDetail[]>;

  /**
   * Ends the deliveries whose leases ran out by `now` (epoch ms), as a lost
   * delivery ends: handed out again while attempts and time remain, else failed.
   * Resolves when the next lease held ends, or undefined when none is held: the
   * hub calls again then (core/lease-reaper.ts). A store keeps no timer of its
   * own, so a networked one can keep this contract too.
   */
  reapExpired(now: number): Promise<number | undefined>;

  /** Lets go of what the store holds open; jobs still held are left as they are. */
  close(): Promise<void>;
}

/**
 * The settings every store takes, whatever keeps its data: limits, lease and
 * worker windows, and who is told of hand-outs.
 */
export interface StoreOptions {
  /** Queued (not yet claimed) jobs per service before `queue_full`. */
  readonly maxQueuedPerService: number;
  /** Services tracked at once; idle ones are forgotten first. */
  readonly maxServices: number;
  /** How long, and how many, outcomes of async and idempotent calls are kept. */
  readonly results: ResultStoreOptions;
  /** Workers each service remembers; the longest unseen are forgotten first. */
  readonly maxWorkersPerService: number;
  /** How long a finished delivery's id is remembered, for precise late-answer errors. */
  readonly finishedJobTtlMs: number;
  /** How many finished delivery ids are remembered at most. */
  readonly maxFinishedJobs: number;
  /** How long a worker holds a job without answering or heartbeating before the job is handed out again. */
  readonly leaseMs: number;
  /** How long a worker counts as present after its last request (`no_workers`, `GET /services`). */
  readonly workerWindowMs: number;
  /**
   * AstroHub's workers never heartbeat: a job is then leased only from its
   * worker's first heartbeat on, and until then held until its caller's deadline,
   * never handed out again behind a slow worker's back. @default false
   */
  readonly leaseAfterFirstHeartbeat?: boolean;
  /** Told of hand-outs and retries as they happen (metrics, logs). */
  readonly events?: JobEvents | undefined;
}

import type { Answer, Delivery, Failure, Job } from '../domain/job.js';
import type { ErrorCode } from '../errors.js';
import type { ServiceStats } from '../protocol.js';
import type { EventDocStore, EventDocStoreOptions } from './event-doc-store.js';
import type { TopicFeed, TopicStore, TopicStoreOptions } from './topic-store.js';
import type { WebhookStore, WebhookStoreOptions } from './webhook-store.js';

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
  /** It had already ended (answered, or failed for good): the feed tells its outcome. */
  | 'settled';

/**
 * How a job ended, as plain data: the worker's answer, or the error its caller
 * gets. A networked store sends it between replicas as it is.
 */
export type JobOutcome = { readonly answer: Answer } | { readonly error: ErrorData };

export interface EnqueueOptions {
  /**
   * Refuse with `no_workers` when no worker of the service holds a job, was seen
   * within the store's worker window, or is parked (a take that found nothing
   * and said how long it waits).
   */
  readonly requireWorkers: boolean;
  /**
   * The job is a run: its outcome is kept after it ends, under the job's id
   * (`Prefer: respond-async`, `Idempotency-Key`). With an idempotency key that
   * already leads to a live or answered run, nothing is queued and that run is
   * returned: the check and the enqueue are one step.
   */
  readonly run?: { readonly idempotency?: Idempotency | undefined } | undefined;
}

/** What `enqueue` did: queued the job, or found the run its idempotency key leads to. */
export type EnqueueResult = { readonly joined: RunRecord } | undefined;

/** What `fail` did with the job. */
export type FailOutcome = 'retrying' | 'failed';

/** A worker as `GET /services` lists it. */
export interface WorkerSeen {
  readonly id: string;
  /** Epoch milliseconds of its last poll, answer, heartbeat or failure report. */
  readonly lastSeenAt: number;
  readonly inFlight: number;
}

/** A hand-out lost and what became of its job, for logs. */
export interface RetryEvent {
  readonly service: string;
  readonly jobId: string;
  readonly flowId: string;
  /** The attempt that was lost, from 1. */
  readonly attempt: number;
  readonly reason: string;
  /** `retrying` when the job goes out again, `failed` when its call fails. */
  readonly outcome: FailOutcome;
}

/**
 * What a store tells its owner, after each transition and as plain data: ids,
 * service names, outcomes. A networked store carries it between replicas (one
 * feed per replica); each replica is told what concerns it.
 */
export interface StoreFeed extends TopicFeed {
  /** Work may be waiting for `service` (a job queued, put back or handed out again): every replica. */
  work(service: string): void;
  /**
   * A job ended, however: its outcome. The replica that queued it is told, and
   * for a run (async, idempotent) every replica, since any may wait for it.
   */
  ended(jobId: string, outcome: JobOutcome): void;
  /** A delivery taken `heldBySocket` ended, however: the replica that handed it out (its WebSocket lets the slot go). */
  handOutEnded(deliveryId: string): void;
  /** A job was handed out after waiting `queuedMs` in its queue: for metrics. */
  taken(service: string, queuedMs: number): void;
  /** A hand-out was lost (lease lapsed, retryable failure): for logs and metrics. */
  retried(event: RetryEvent): void;
  /**
   * The store cannot be reached (a networked store lost its connection): every
   * parked take looks now, so its worker is refused with `store_unavailable`
   * instead of waiting, unknowing, on a hub that cannot hand it anything.
   */
  unreachable(): void;
}

/** A service's figures as the store keeps them: all but the parked takes and sockets, which are the hub's own. */
export type StoreStats = Omit<ServiceStats, 'webSocketWorkers' | 'waitingWorkers'>;

/** Per-service figures for `GET /services` as the store keeps them: queue, held jobs, oldest wait, workers. */
export interface StoreServiceDetail extends Pick<ServiceStats, 'service' | 'queued' | 'inFlight'> {
  /** Milliseconds the oldest queued job has waited; 0 when nothing is queued. */
  readonly oldestQueuedMs: number;
  readonly workers: readonly WorkerSeen[];
}

/** A take's limits: at most `count` jobs and `bytes` of bodies in all. */
export interface TakeLimits {
  readonly count: number;
  readonly bytes: number;
}

/** Who takes: the worker's id (anonymous when undefined), and until when it waits if it finds nothing. */
export interface Taker {
  readonly workerId?: string | undefined;
  /**
   * Epoch ms until which the worker stays parked when this take finds nothing:
   * it counts as present for `requireWorkers` until then, whichever replica
   * it is parked on.
   */
  readonly parkedUntil?: number | undefined;
  /**
   * A WebSocket holds what it takes: the feed's `handOutEnded` must reach this
   * replica when such a delivery ends, wherever it ends. Other takes need not be told.
   */
  readonly heldBySocket?: boolean | undefined;
}

/**
 * What a refused request on a delivery finds: `unknown` for an id never seen or
 * long forgotten, else how the delivery ended. The core words the error.
 */
export type DeliveryGone = 'unknown' | 'answered' | 'caller_gone' | 'lease_lost';

/**
 * Where jobs live between a caller and a worker. The core owns validation,
 * deadlines, parked requests, errors' wording and shutdown; a store owns the
 * queues, the leases, the state of each job and the kept outcomes of runs, and
 * must keep these promises (test/store/contract.ts checks every one of them
 * against every store; test/store/memory-only.ts the memory store's own):
 *
 * - Only plain data crosses it, both ways: jobs, ids, answers, `{code, message}`
 *   errors. It holds no promise, signal or callback of the core's; what happens
 *   comes out through the feed (`subscribe`), after the transition.
 * - Each transition is atomic: two takes never get one job, a job is answered at
 *   most once and only through its current delivery, even from two stores on one
 *   backend (two replicas).
 * - FIFO per service: jobs are taken in the order they were enqueued. A job
 *   handed out again goes to the head of the queue.
 * - Takes never wait: the core parks its polls, and the feed's `work` says when
 *   to look again.
 * - Leases: a delivery not answered, heartbeated or failed within `leaseMs` is
 *   lost when some owner next calls `reapExpired`; the job is handed out again
 *   (attempt + 1) while attempts and time remain, otherwise it fails with
 *   `worker_failed`. The store keeps no timers: time is passed in.
 * - Runs: ending a job ends its run in the same step; outcomes are kept for
 *   `results.ttlMs` within the count and byte caps; only answers keep their
 *   idempotency key.
 * - A finished delivery is remembered for a bounded time and count, so late
 *   requests learn how it ended instead of `unknown`.
 * - Memory is bounded: a service with nothing queued or in flight keeps only its
 *   counters, and at most `maxServices` services are tracked.
 */
export interface JobStore {
  /** Which store this is: `memory` (this process alone) or `redis` (shared by replicas). */
  readonly kind: 'memory' | 'redis';

  /**
   * A store shared by replicas asks each to reap at least this often: the
   * leases a dead replica granted are the survivors' to end. Undefined: only
   * when a lease this hub knows of ends.
   */
  readonly reapAtLeastEveryMs?: number | undefined;

  /** The topics on the same backend (store/topic-store.ts): their events come through the same feed. */
  readonly topics: TopicStore;

  /** The webhooks of those topics and their delivery state (store/webhook-store.ts). */
  readonly webhooks: WebhookStore;

  /** The events catalogue's documentation, one record per service (at most `maxServices`). */
  readonly eventDocs: EventDocStore;

  /**
   * False while a networked store cannot reach its backend (calls to it fail
   * with `store_unavailable` meanwhile): the hub is then not ready. Undefined:
   * always available.
   */
  available?(): boolean;

  /**
   * Starts telling `feed` what happens; resolves once the feed is live, so that
   * nothing enqueued after it is missed. Called once, before any other method.
   */
  subscribe(feed: StoreFeed): Promise<void>;

  /**
   * Adds a job at the tail of its service's queue (and begins its run), and the
   * feed hears `work`. Throws `HubError` `queue_full`, `too_many_services` or
   * `no_workers`.
   */
  enqueue(job: Job, options: EnqueueOptions): Promise<EnqueueResult>;

  /**
   * Takes jobs queued for `service`, oldest first: at most `limits.count`, and no
   * more than `limits.bytes` of bodies in all (it stops at the first job that
   * would pass it), in one step. Never waits. Counts the worker as seen, even
   * when it takes nothing.
   */
  claimQueued(service: string, limits: TakeLimits, taker?: Taker): Promise<Delivery[]>;

  /**
   * Answers a delivery and takes for the same worker, in one step: a busy
   * worker's answer carries its next poll. The answer is refused as `answer`
   * refuses it, and then nothing is taken. Once the answer is in it stands:
   * a take the store then refuses (`too_many_services`) rejects with that
   * error, the answer handed over all the same.
   */
  answerAndTake(
    deliveryId: string,
    answer: Answer,
    service: string,
    limits: TakeLimits,
    taker?: Taker,
  ): Promise<Delivery[] | DeliveryGone>;

  /**
   * Puts a job whose worker never received this delivery back at the head of its
   * queue, without using up an attempt. Returns false if the delivery is no
   * longer current.
   */
  release(deliveryId: string): Promise<boolean>;

  /** Ends the job with the worker's answer; or says how the delivery is gone. */
  answer(deliveryId: string, answer: Answer): Promise<DeliveryGone | undefined>;

  /** Extends the delivery's lease by `leaseMs`: its new end (epoch ms), or how the delivery is gone. */
  heartbeat(deliveryId: string): Promise<number | DeliveryGone>;

  /** A worker could not do the job: hand it out again if asked and allowed, else fail the call. */
  fail(deliveryId: string, failure: Failure): Promise<FailOutcome | DeliveryGone>;

  /**
   * The caller stopped waiting, with `reason` (`timeout`, `cancelled` or
   * `shutting_down`, counted per service by its code; shutdown counts as
   * rejected): withdraw the job if queued, otherwise mark it abandoned. The job
   * ends with `reason` as its error.
   */
  giveUp(jobId: string, reason: ErrorData): Promise<GiveUpOutcome>;

  /**
   * Withdraws the job only if it is still queued, ending it with `reason`:
   * shutdown turns queued jobs away this way while letting in-flight ones finish,
   * and so does a caller's queue timeout. Returns true if it was withdrawn.
   */
  withdrawQueued(jobId: string, reason: ErrorData): Promise<boolean>;

  /** Whether a live job is waiting for a worker or held by one; undefined once it has ended. */
  jobState(jobId: string): Promise<'queued' | 'in_flight' | undefined>;

  /** A run, live or finished; undefined once forgotten (or never known). */
  run(id: string): Promise<RunRecord | undefined>;

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
   * Ends what ran out by `now` (epoch ms): deliveries whose leases lapsed, as a
   * lost delivery ends (handed out again while attempts and time remain, else
   * failed). Resolves when the next lease held ends, or undefined when none is
   * held: the core calls again then (core/lease-reaper.ts).
   */
  reapExpired(now: number): Promise<number | undefined>;

  /** Lets go of what the store holds open (connections); jobs are left as they are. */
  close(): Promise<void>;
}

/**
 * The settings every store takes, whatever keeps its data: limits, lease and
 * worker windows, and who is told of hand-outs.
 */
export interface StoreOptions {
  /** Topics' limits, and a new topic's retention. */
  readonly topics: TopicStoreOptions;
  /** Webhooks' limits. */
  readonly webhooks: WebhookStoreOptions;
  /** The events catalogue's limits. */
  readonly eventDocs: EventDocStoreOptions;
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
}

/** A job the hub waits for on its callers' behalf: an async call, or a call with an idempotency key. */
export interface RunRecord {
  readonly id: string;
  readonly service: string;
  /** For a run with an idempotency key: a digest of the request it was made with. */
  readonly fingerprint: string | undefined;
  /** How it ended; undefined while its job is queued or in flight. */
  readonly outcome: JobOutcome | undefined;
}

/** An idempotent run's key (scoped by the core) and a digest of its request. */
export interface Idempotency {
  readonly key: string;
  readonly fingerprint: string;
}

/** A run to begin: its job id, its service, and for idempotent calls its key. */
export interface NewRun {
  readonly id: string;
  readonly service: string;
  readonly idempotency?: Idempotency | undefined;
}

/**
 * How long, and how many, outcomes of runs (async and idempotent calls) a store
 * keeps ([P-ASYNC], [P-IDEMPOTENCY], [P-RESULTS]): in all and per service, a
 * service dropping its own oldest first.
 */
export interface ResultStoreOptions {
  /** How long a finished run's outcome is kept. */
  readonly ttlMs: number;
  /** Finished runs kept at most; the oldest go first. */
  readonly maxResults: number;
  /** Bytes of answers kept at most; the oldest go first. */
  readonly maxBytes: number;
  /** Finished runs one service may keep; its own oldest go first. */
  readonly maxResultsPerService: number;
  /** Bytes of answers one service may keep; its own oldest go first. */
  readonly maxBytesPerService: number;
}

import { createHash } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { nanoid } from 'nanoid';
import type { Answer, Delivery, Failure, Job } from '../../domain/job.js';
import { ErrorCode, storeUnavailable } from '../../errors.js';
import { log } from '../../log.js';
import { SERVICE_COUNTERS, type ServiceCounter } from '../../protocol.js';
import { noop } from '../../util/noop.js';
import type {
  DeliveryGone,
  EnqueueOptions,
  EnqueueResult,
  ErrorData,
  FailOutcome,
  GiveUpOutcome,
  JobStore,
  RunRecord,
  StoreFeed,
  StoreOptions,
  StoreServiceDetail,
  StoreStats,
  TakeLimits,
  Taker,
  WorkerSeen,
} from '../job-store.js';
import { refusals } from '../refusals.js';
import {
  decodeDelivery,
  decodeOutcome,
  encodeJob,
  encodeOutcome,
  type TakenReply,
} from './codec.js';
import { defineScripts, type RunScript } from './define-scripts.js';
import { RedisEventDocs } from './redis-event-docs.js';
import { hearTopic, RedisTopics } from './redis-topics.js';
import { RedisWebhooks } from './redis-webhooks.js';
import { SCRIPT_SOURCES, type ScriptName } from './scripts.js';

export interface RedisStoreOptions extends StoreOptions {
  /** Where Redis is: `redis://host:port/db`. */
  readonly url: string;
  /**
   * What every key starts with, in braces: one hash tag for the whole hub, so
   * its scripts run on Redis Cluster too. Replicas of one hub share it.
   */
  readonly prefix: string;
  /**
   * How long past its deadline a job may stay before any replica gives it up
   * (its caller's hub died, so none gave it up in time). @default 10_000
   */
  readonly deadlineGraceMs?: number;
  /** How long a request waits for Redis before it fails with `store_unavailable`; 0 for no limit. @default 2000 */
  readonly timeoutMs?: number;
}

/** How long a replica waits between attempts to reach Redis at start-up. */
const START_RETRY_MS = 1000;

/** The id of workers that do not name themselves with `Hub-Worker`. */
const ANONYMOUS_WORKER = 'anonymous';

/** A take's byte limit as Lua reads it: no limit is a very large one. */
const NO_LIMIT = 2 ** 52;

/** The counter a caller's giving up counts on, by its reason. */
const GIVE_UP_COUNTERS: Partial<Record<ErrorData['code'], ServiceCounter>> = {
  [ErrorCode.Timeout]: 'timedOut',
  [ErrorCode.Cancelled]: 'cancelled',
};

/**
 * The store on Redis: any number of hub replicas sharing one Redis act as one
 * hub. Each transition is one Lua script (scripts.ts), so it is atomic across
 * replicas; outcomes and "work may be waiting" travel over pub/sub, one
 * subscriber connection per replica. docs/scale-out.md tells the whole story.
 */
export class RedisStore implements JobStore {
  /** Leases other replicas granted are this one's to end too, if they die: reap at least this often. */
  readonly kind = 'redis';
  readonly reapAtLeastEveryMs = 1000;
  readonly #options: RedisStoreOptions;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #scripts: Record<ScriptName, RunScript>;
  /** The hash tag every key starts with. */
  readonly #key: string;
  /** This replica's name on the feed's channels. */
  readonly #replica = nanoid(12);
  readonly #startedAt = Date.now();
  /** scripts.ts `SETTINGS`: every script's third argument. */
  readonly #settings: string;
  #feed: StoreFeed | undefined;
  #corked = false;
  readonly topics: RedisTopics;
  readonly webhooks: RedisWebhooks;
  readonly eventDocs: RedisEventDocs;

  constructor(options: RedisStoreOptions) {
    this.#options = options;
    this.#key = `{${options.prefix}}`;
    const { results } = options;
    // scripts.ts SETTINGS, in its order, as a JSON array.
    this.#settings = `[${[
      String(options.leaseMs),
      options.leaseAfterFirstHeartbeat ? '1' : '0',
      String(options.finishedJobTtlMs),
      String(options.workerWindowMs),
      String(options.maxQueuedPerService),
      String(options.maxServices),
      String(results.ttlMs),
      String(results.maxResults),
      String(results.maxBytes),
      String(results.maxResultsPerService),
      String(results.maxBytesPerService),
      String(options.maxWorkersPerService),
    ].join(',')}]`;
    const connection = {
      lazyConnect: true,
      // Fail fast while Redis is away: nothing waits in a queue for it to come
      // back, callers get 503 store_unavailable at once, and ioredis reconnects by itself.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // 0: none (tests on a mocked clock, where a timer per command would never fire).
      commandTimeout: options.timeoutMs === 0 ? undefined : (options.timeoutMs ?? 2000),
    };
    // Each command is written at once, without waiting for the turn to end:
    // commands sent while a write is still on its way leave together anyway
    // (the socket's writev), and ioredis's auto-pipelining measured slower
    // (SDK worker at C=16, 2995-3067 req/s with it, 3539-3663 without).
    this.#redis = new Redis(options.url, connection);
    this.#subscriber = new Redis(options.url, { ...connection, commandTimeout: undefined });
    this.#scripts = defineScripts(this.#redis, SCRIPT_SOURCES, 'bytes');
    const guard = <T>(call: Promise<T>) => call.catch(unavailable);
    this.topics = new RedisTopics(this.#redis, this.#key, options.topics, guard);
    this.webhooks = new RedisWebhooks(this.#redis, this.#key, options.webhooks, guard);
    this.eventDocs = new RedisEventDocs(this.#redis, this.#key, options.eventDocs, guard);
    // Errors reach the calls that failed; the connection's own events must not crash the process.
    this.#redis.on('error', noop);
    this.#subscriber.on('error', noop);
  }

  /** Runs a script with the settings and the time, then its own arguments. */
  #run(name: ScriptName, own: (string | number | Buffer)[], now = Date.now()): Promise<unknown> {
    this.#corkForATurn();
    return this.#scripts[name](this.#key, String(now), this.#replica, this.#settings, ...own).catch(
      unavailable,
    );
  }

  /**
   * Holds this turn's commands back until the loop has served what was ready,
   * so they leave in one write: a system call per command was most of the
   * hub's CPU per call (one at each enqueue, take and answer).
   */
  #corkForATurn(): void {
    const stream = this.#redis.stream;
    if (this.#corked || !stream) return;
    this.#corked = true;
    stream.cork();
    setImmediate(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  available(): boolean {
    return this.#redis.status === 'ready' && this.#subscriber.status === 'ready';
  }

  /**
   * Connects both connections (waiting, and saying so, while Redis cannot be
   * reached: a replica starts once its store does), then listens on this
   * replica's channels. After a reconnect, every service is told there may be
   * work: notices sent while this replica was away were lost.
   */
  async subscribe(feed: StoreFeed): Promise<void> {
    this.#feed = feed;
    this.#subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#heard(channel, message),
    );
    for (const connection of [this.#redis, this.#subscriber]) {
      for (;;) {
        try {
          await connection.connect();
          break;
        } catch (error) {
          log.warn(
            { err: error },
            `switchboard: waiting for Redis at ${safeUrl(this.#options.url)}`,
          );
          connection.disconnect();
          await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS));
        }
      }
    }
    await this.#subscriber.subscribe(
      `${this.#key}:work`,
      `${this.#key}:runs`,
      `${this.#key}:pub`,
      `${this.#key}:o:${this.#replica}`,
    );
    let connected = true;
    this.#subscriber.on('close', () => {
      if (!connected) return;
      connected = false;
      log.warn(`switchboard: lost Redis at ${safeUrl(this.#options.url)}; reconnecting`);
      feed.unreachable();
    });
    this.#subscriber.on('ready', () => {
      if (connected) return;
      connected = true;
      log.info(`switchboard: Redis at ${safeUrl(this.#options.url)} is back`);
      void this.#tellAllServices();
    });
  }

  /** Tells the feed every known service may have work: after notices may have been lost. */
  async #tellAllServices(): Promise<void> {
    try {
      for (const service of await this.#redis.zrange(`${this.#key}:services`, 0, -1)) {
        this.#feed?.work(service);
      }
    } catch {
      // Gone again: the next reconnect tells them.
    }
  }

  /** A message on one of this replica's channels: work (from another replica), an outcome, a hand-out's end. */
  #heard(channel: Buffer, message: Buffer): void {
    const feed = this.#feed;
    if (!feed) return;
    const name = channel.toString();
    if (name.endsWith(':pub')) {
      hearTopic(message, feed);
      return;
    }
    if (name.endsWith(':work')) {
      const text = message.toString();
      const space = text.indexOf(' ');
      // This replica told itself already, without the round trip.
      if (text.slice(0, space) !== this.#replica) feed.work(text.slice(space + 1));
      return;
    }
    if (message[0] === 0x48 /* H */) {
      feed.handOutEnded(message.toString('utf8', 1));
      return;
    }
    const space = message.indexOf(0x20);
    feed.ended(message.toString('utf8', 1, space), decodeOutcome(message.subarray(space + 1)));
  }

  async enqueue(job: Job, options: EnqueueOptions): Promise<EnqueueResult> {
    const idempotency = options.run?.idempotency;
    const reply = (await this.#run('sbEnqueue', [
      job.id,
      job.service,
      encodeJob(job),
      job.deadline,
      job.maxAttempts,
      job.payload.body.byteLength,
      job.payload.flowId,
      options.requireWorkers ? '1' : '0',
      options.run ? '1' : '0',
      idempotency ? keyDigest(idempotency.key) : '',
      idempotency?.fingerprint ?? '',
    ])) as [Buffer, ...(Buffer | number)[]];
    const [what, ...rest] = reply;
    switch (what.toString()) {
      case 'queued':
        this.#feed?.work(job.service);
        return undefined;
      case 'joined': {
        const [id, service, fingerprint, outcome] = rest as [Buffer, Buffer, Buffer, Buffer];
        return { joined: runRecord(id, service, fingerprint, outcome) };
      }
      case 'no_workers':
        throw refusals.noWorkers(job.service, Date.now(), rest[0] as number, this.#startedAt);
      case 'too_many_services':
        throw refusals.tooManyServices(job.service, rest[0] as number);
      default:
        throw refusals.queueFull(job.service, rest[0] as number);
    }
  }

  async claimQueued(service: string, limits: TakeLimits, taker?: Taker): Promise<Delivery[]> {
    try {
      const [taken, left] = (await this.#run('sbClaim', [
        service,
        ...this.#takeArgs(limits, taker, taker?.parkedUntil ?? 0),
      ])) as [TakenReply[], number];
      return this.#delivered(service, taken, left);
    } catch (error) {
      if (error instanceof Error && error.message.includes('too_many_services')) {
        throw refusals.tooManyServices(service, this.#options.maxServices);
      }
      throw error;
    }
  }

  /** A take's own arguments: count, bytes, worker, (parked until), taker, and a new id for each job it may take. */
  #takeArgs(
    limits: TakeLimits,
    taker: Taker | undefined,
    parkedUntil?: number,
  ): (string | number)[] {
    const ids = Array.from({ length: Math.max(0, Math.min(limits.count, 1000)) }, () => nanoid());
    const head = [
      ids.length,
      Number.isFinite(limits.bytes) ? limits.bytes : NO_LIMIT,
      taker?.workerId ?? ANONYMOUS_WORKER,
    ];
    const socket = taker?.heldBySocket ? this.#replica : '';
    return parkedUntil === undefined
      ? [...head, socket, ...ids]
      : [...head, parkedUntil, socket, ...ids];
  }

  /** Deliveries from a take's reply; with jobs still queued, the next parked take must look too. */
  #delivered(service: string, taken: TakenReply[], left: number): Delivery[] {
    const deliveries = taken.map((reply) => {
      this.#feed?.taken(service, reply[4]);
      return decodeDelivery(reply);
    });
    if (deliveries.length > 0 && left > 0) this.#feed?.work(service);
    return deliveries;
  }

  async answerAndTake(
    deliveryId: string,
    answer: Answer,
    service: string,
    limits: TakeLimits,
    taker?: Taker,
  ): Promise<Delivery[] | DeliveryGone> {
    const result = await this.#answer(deliveryId, answer, [
      service,
      ...this.#takeArgs(limits, taker),
    ]);
    if (typeof result === 'string') return result;
    const [taken, left, refused] = result;
    // The answer is in; the take could not be made (job-store.ts).
    if (refused === 1) throw refusals.tooManyServices(service, this.#options.maxServices);
    return this.#delivered(service, taken, left);
  }

  async answer(deliveryId: string, answer: Answer): Promise<DeliveryGone | undefined> {
    const result = await this.#answer(deliveryId, answer, []);
    return typeof result === 'string' ? result : undefined;
  }

  async #answer(
    deliveryId: string,
    answer: Answer,
    take: (string | number)[],
  ): Promise<[TakenReply[], number, number] | DeliveryGone> {
    const [here, taken, id, left, refused] = (await this.#run('sbAnswer', [
      deliveryId,
      encodeOutcome({ answer }),
      ...take,
    ])) as [number, Buffer | TakenReply[], Buffer | undefined, number, number];
    if (Buffer.isBuffer(taken)) return taken.toString() as DeliveryGone;
    if (here === 1 && id) this.#feed?.ended(id.toString(), { answer });
    return [taken, left, refused];
  }

  async heartbeat(deliveryId: string): Promise<number | DeliveryGone> {
    const reply = (await this.#run('sbHeartbeat', [deliveryId])) as number | Buffer;
    return typeof reply === 'number' ? reply : (reply.toString() as DeliveryGone);
  }

  async fail(deliveryId: string, failure: Failure): Promise<FailOutcome | DeliveryGone> {
    const error = { code: ErrorCode.WorkerFailed, message: failure.message };
    const reply = (await this.#run('sbFail', [
      deliveryId,
      failure.retry ? '1' : '0',
      encodeOutcome({ error }),
      failure.message,
    ])) as Buffer | RetryReply;
    if (Buffer.isBuffer(reply)) return reply.toString() as DeliveryGone;
    return this.#retried(reply, failure.message, failure.retry);
  }

  /** Tells the feed what a lost hand-out became; returns it. */
  #retried(reply: RetryReply, message: string, tellRetry: boolean): FailOutcome {
    const [what, service, id, flow, attempt, here] = reply;
    const outcome = what.toString() as FailOutcome;
    const feed = this.#feed;
    if (tellRetry) {
      feed?.retried({
        service: service.toString(),
        jobId: id.toString(),
        flowId: flow.toString(),
        attempt,
        reason: message,
        outcome,
      });
    }
    if (outcome === 'retrying') feed?.work(service.toString());
    else if (here === 1) {
      feed?.ended(id.toString(), { error: { code: ErrorCode.WorkerFailed, message } });
    }
    return outcome;
  }

  async release(deliveryId: string): Promise<boolean> {
    const service = (await this.#run('sbRelease', [deliveryId])) as Buffer | number;
    if (!Buffer.isBuffer(service)) return false;
    this.#feed?.work(service.toString());
    return true;
  }

  async giveUp(jobId: string, reason: ErrorData): Promise<GiveUpOutcome> {
    const counter = GIVE_UP_COUNTERS[reason.code] ?? 'rejected';
    return (await this.#endQueued(jobId, reason, counter, false)) as GiveUpOutcome;
  }

  async withdrawQueued(jobId: string, reason: ErrorData): Promise<boolean> {
    return (await this.#endQueued(jobId, reason, 'rejected', true)) === 'withdrawn';
  }

  async #endQueued(
    jobId: string,
    reason: ErrorData,
    counter: ServiceCounter,
    onlyQueued: boolean,
  ): Promise<string> {
    const error = { code: reason.code, message: reason.message };
    const [what, here] = (await this.#run('sbGiveUp', [
      jobId,
      encodeOutcome({ error }),
      counter,
      onlyQueued ? '1' : '0',
    ])) as [Buffer, number];
    if (here === 1) this.#feed?.ended(jobId, { error });
    return what.toString();
  }

  async jobState(jobId: string): Promise<'queued' | 'in_flight' | undefined> {
    const reply = (await this.#run('sbJobState', [jobId])) as [Buffer, Buffer] | null;
    if (!reply) return undefined;
    return reply[0].toString() === 'q' ? 'queued' : 'in_flight';
  }

  async run(id: string): Promise<RunRecord | undefined> {
    const reply = (await this.#run('sbRun', [id])) as [Buffer, Buffer, Buffer] | null;
    if (!reply) return undefined;
    return runRecord(Buffer.from(id), ...reply);
  }

  async workerLastSeenAt(service: string): Promise<number | undefined> {
    const seen = await this.#redis
      .hget(`${this.#key}:s:${service}`, 'lastSeenAt')
      .catch(unavailable);
    return seen ? Number(seen) : undefined;
  }

  async serviceOf(deliveryId: string): Promise<string | undefined> {
    const reply = (await this.#run('sbServiceOf', [deliveryId])) as Buffer | null;
    return reply ? reply.toString() : undefined;
  }

  async stats(): Promise<StoreStats[]> {
    return (await this.#services(false)).map(({ service, queued, fields }) => {
      const counts = {} as Record<ServiceCounter, number>;
      for (const counter of SERVICE_COUNTERS) counts[counter] = fields.get(counter) ?? 0;
      return { service, queued, inFlight: fields.get('inFlight') ?? 0, ...counts };
    });
  }

  async services(): Promise<StoreServiceDetail[]> {
    const now = Date.now();
    return (await this.#services(true)).map(({ service, queued, fields, oldestAt, workers }) => ({
      service,
      queued,
      inFlight: fields.get('inFlight') ?? 0,
      oldestQueuedMs: oldestAt === undefined ? 0 : now - oldestAt,
      workers,
    }));
  }

  async #services(withWorkers: boolean) {
    const reply = (await this.#run('sbServices', [withWorkers ? '1' : '0'])) as ServiceReply[];
    return reply.map(([name, flat, queued, at, workers]) => {
      const fields = new Map<string, number>();
      for (let i = 0; i < flat.length; i += 2) {
        fields.set(String(flat[i]), Number(flat[i + 1]));
      }
      return {
        service: name.toString(),
        queued,
        fields,
        oldestAt: at.length > 0 ? Number(at.toString()) : undefined,
        workers: workers.map(
          ([id, lastSeenAt, inFlight]): WorkerSeen => ({ id: id.toString(), lastSeenAt, inFlight }),
        ),
      };
    });
  }

  async reapExpired(now: number): Promise<number | undefined> {
    const [next, events] = (await this.#run(
      'sbReap',
      [this.#options.deadlineGraceMs ?? 10_000],
      now,
    )) as [number, (RetryReply | [...RetryReply, Buffer])[]];
    for (const event of events) this.#retried(event as RetryReply, String(event[6]), true);
    return next === -1 ? undefined : next;
  }

  async close(): Promise<void> {
    // Closing is not losing Redis: no warning, no parked take told it is unreachable.
    this.#subscriber.removeAllListeners('close');
    this.#subscriber.removeAllListeners('ready');
    await Promise.allSettled([this.#subscriber.quit(), this.#redis.quit()]);
    this.#subscriber.disconnect();
    this.#redis.disconnect();
  }
}

/**
 * A failed request to Redis as the hub's error: a script's own refusal (a reply
 * error) is a bug and goes on as it is; anything else (refused, closed, timed
 * out) means Redis cannot be reached now.
 */
function unavailable(error: unknown): never {
  const replied = error instanceof ReplyError ? (error as Error) : undefined;
  if (replied && !/^(LOADING|BUSY|MASTERDOWN|READONLY)/.test(replied.message)) throw replied;
  throw storeUnavailable(`Redis: ${error instanceof Error ? error.message : String(error)}`, error);
}

/** A Redis URL fit for a log line: its password, if any, left out. */
function safeUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** A lost hand-out as a script reports it: what became of it, service, job, flow, attempt, told here. */
type RetryReply = [Buffer, Buffer, Buffer, Buffer, number, number];

/** One service as the services script reports it. */
type ServiceReply = [Buffer, Buffer[], number, Buffer, [Buffer, number, number][]];

/** A run as the scripts report it; an empty outcome is a run still going. */
function runRecord(id: Buffer, service: Buffer, fingerprint: Buffer, outcome: Buffer): RunRecord {
  const fp = fingerprint.toString();
  return {
    id: id.toString(),
    service: service.toString(),
    fingerprint: fp === '' ? undefined : fp,
    outcome: outcome.length > 0 ? decodeOutcome(outcome) : undefined,
  };
}

/** An idempotency key as a Redis key: a digest, so a key of any length costs the same. */
function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

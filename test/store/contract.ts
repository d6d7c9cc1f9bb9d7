/**
 * The JobStore conformance suite: every store runs it, through a factory that
 * names no store. Each test names the rule of src/store/job-store.ts it checks.
 * What only an in-process store can promise (a hand-off within one turn of the
 * event loop) lives in memory-only.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nanoid } from 'nanoid';
import type { Answer, Delivery, Job } from '../../src/domain/job.js';
import type { TopicMessage } from '../../src/domain/topic.js';
import { ErrorCode } from '../../src/errors.js';
import type {
  JobOutcome,
  JobStore,
  RetryEvent,
  StoreFeed,
  StoreOptions,
} from '../../src/store/job-store.js';
import { mockClock } from '../support/clock.js';
import { jsonPayload } from '../support/config.js';
import { hasCode } from '../support/errors.js';

/**
 * Makes a fresh store with these settings, on whatever backend the store uses:
 * the suite knows no store by name. A networked store's factory is async and
 * gives each store a key prefix of its own. `twin`, when the store can have
 * one, makes a second store on the first one's backend: another replica.
 */
export interface StoreFactory {
  (options?: Partial<StoreOptions>): JobStore | Promise<JobStore>;
  twin?: (of: JobStore, options?: Partial<StoreOptions>) => Promise<JobStore>;
}

/** What a store's feed said, as a test reads it. */
export class HeardFeed implements StoreFeed {
  readonly works: string[] = [];
  readonly handOutsEnded: string[] = [];
  readonly retries: RetryEvent[] = [];
  unreachableTimes = 0;
  /** Topic messages heard, as `<topic>#<id>`, and topics deleted. */
  readonly messagesHeard: string[] = [];
  readonly topicsDeleted: string[] = [];
  onPublished: ((topic: string, message: TopicMessage) => void) | undefined;
  readonly #outcomes = new Map<string, JobOutcome[]>();
  readonly #waiting = new Map<string, (outcome: JobOutcome) => void>();
  onWork: ((service: string) => void) | undefined;

  work(service: string): void {
    this.works.push(service);
    this.onWork?.(service);
  }
  ended(jobId: string, outcome: JobOutcome): void {
    const told = this.#outcomes.get(jobId) ?? [];
    told.push(outcome);
    this.#outcomes.set(jobId, told);
    this.#waiting.get(jobId)?.(outcome);
  }
  handOutEnded(deliveryId: string): void {
    this.handOutsEnded.push(deliveryId);
  }
  taken(): void {}
  retried(event: RetryEvent): void {
    this.retries.push(event);
  }
  unreachable(): void {
    this.unreachableTimes++;
  }
  published(topic: string, message: TopicMessage): void {
    this.messagesHeard.push(`${topic}#${message.id}`);
    this.onPublished?.(topic, message);
  }
  deleted(topic: string): void {
    this.topicsDeleted.push(topic);
  }

  /** The outcome told for `jobId`: at once if told, else when it is. */
  outcome(jobId: string): Promise<JobOutcome> {
    const told = this.#outcomes.get(jobId)?.[0];
    if (told) return Promise.resolve(told);
    return new Promise((resolve) => this.#waiting.set(jobId, resolve));
  }

  /** How many outcomes were told for `jobId`: never more than one. */
  toldFor(jobId: string): number {
    return this.#outcomes.get(jobId)?.length ?? 0;
  }
}

/** The text of an outcome's answer; fails on an error. */
export function answerText(outcome: JobOutcome): string {
  assert.ok('answer' in outcome, `expected an answer, got ${JSON.stringify(outcome)}`);
  return Buffer.from(outcome.answer.body).toString();
}

/** Waits until `check` holds: a networked store's feed arrives a little later. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), what);
}

export const defaultStoreOptions: StoreOptions = {
  maxQueuedPerService: 100,
  maxServices: 100,
  finishedJobTtlMs: 60_000,
  maxFinishedJobs: 1000,
  leaseMs: 60_000,
  workerWindowMs: 60_000,
  maxWorkersPerService: 100,
  results: {
    ttlMs: 60_000,
    maxResults: 1000,
    maxBytes: 1024 * 1024,
    maxResultsPerService: 1000,
    maxBytesPerService: 1024 * 1024,
  },
  topics: {
    maxTopics: 20,
    maxBytes: 1024 * 1024,
    retention: { maxAgeMs: 60_000, maxMessages: 1000, maxBytes: 256 * 1024, discard: 'new' },
  },
  webhooks: { maxWebhooks: 5, maxDeadLetters: 3 },
  eventDocs: { maxDocs: 100, maxBytes: 1024 * 1024 },
};

function job(service = 'svc', { maxAttempts = 3, deadlineMs = 60_000 } = {}): Job {
  return {
    id: nanoid(),
    service,
    deadline: Date.now() + deadlineMs,
    maxAttempts,
    payload: jsonPayload({}),
  };
}

const anyWorkers = { requireWorkers: false };
const asRun = (idempotency?: { key: string; fingerprint: string }) => ({
  requireWorkers: false,
  run: { idempotency },
});

/** Why a caller gave up, as the core tells the store: plain data. */
const gaveUp = {
  cancelled: { code: ErrorCode.Cancelled, message: 'the caller went away' },
  timeout: { code: ErrorCode.Timeout, message: 'no worker answered before the deadline' },
};

function answer(text = 'ok'): Answer {
  return { status: 200, contentType: 'text/plain', headers: {}, body: Buffer.from(text) };
}

/** claimQueued's limits with no byte limit. */
const any = (count: number) => ({ count, bytes: Number.POSITIVE_INFINITY });

/** Claims the next job of `service`, which must be there. */
async function claimed(store: JobStore, service = 'svc'): Promise<Delivery> {
  const [delivery] = await store.claimQueued(service, any(1));
  assert.ok(delivery, `no job of ${service} to claim`);
  return delivery;
}

async function serviceStats(store: JobStore, service: string) {
  const stats = (await store.stats()).find((s) => s.service === service);
  assert.ok(stats, `no stats for ${service}`);
  return stats;
}

export function runJobStoreContract(name: string, makeStore: StoreFactory): void {
  /** A fresh store whose feed the test reads. */
  async function open(options?: Partial<StoreOptions>) {
    const store = await makeStore(options);
    const heard = new HeardFeed();
    await store.subscribe(heard);
    return { store, heard };
  }

  describe(`${name} - JobStore contract`, () => {
    test('[P-FIFO] queued jobs are claimed in arrival order', async () => {
      const { store } = await open();
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, anyWorkers);
      const claimed = [];
      for (let i = 0; i < jobs.length; i++)
        claimed.push((await store.claimQueued('svc', any(1)))[0]?.job.id);
      assert.deepEqual(
        claimed,
        jobs.map((j) => j.id),
      );
      await store.close();
    });

    test('[P-HANDOFF] enqueue tells the feed the service once the job can be taken', async () => {
      const { store, heard } = await open();
      let taken: Promise<Delivery[]> | undefined;
      heard.onWork = (service) => {
        // The job is there to take when the feed hears of it.
        taken ??= store.claimQueued(service, any(1));
      };
      const j = job();
      await store.enqueue(j, anyWorkers);
      await until(() => taken !== undefined, 'the feed heard of the work');
      assert.deepEqual(heard.works, ['svc']);
      assert.equal((await taken)?.[0]?.job.id, j.id);
      assert.equal((await serviceStats(store, 'svc')).queued, 0);
      await store.close();
    });

    test('[P-BATCH-TAKE] claimQueued takes up to max queued jobs, oldest first, and never waits', async () => {
      const { store, heard } = await open();
      assert.deepEqual(
        await store.claimQueued('svc', any(5)),
        [],
        'nothing queued: at once, empty',
      );
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, anyWorkers);
      const firstTwo = await store.claimQueued('svc', any(2), { workerId: 'w1' });
      assert.deepEqual(
        firstTwo.map((d) => [d.job.id, d.attempt]),
        [
          [jobs[0]?.id, 1],
          [jobs[1]?.id, 1],
        ],
      );
      assert.notEqual(firstTwo[0]?.id, firstTwo[1]?.id);
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 1);
      assert.equal(stats.inFlight, 2);
      assert.deepEqual(
        (await store.claimQueued('svc', any(5))).map((d) => d.job.id),
        [jobs[2]?.id],
      );
      // Each is an ordinary delivery: answerable by its own id.
      const answered = job();
      await store.enqueue(answered, anyWorkers);
      const [only] = await store.claimQueued('svc', any(1));
      assert.ok(only);
      assert.equal(await store.answer(only.id, answer('batched')), undefined);
      assert.equal(answerText(await heard.outcome(answered.id)), 'batched');
      await store.close();
    });

    test('[P-BATCH-TAKE] claimQueued stops before the first job whose body would pass its byte limit', async () => {
      const { store } = await open();
      // Each job's body is `{}`: 2 bytes.
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, anyWorkers);
      const taken = await store.claimQueued('svc', { count: 10, bytes: 5 });
      assert.deepEqual(
        taken.map((d) => d.job.id),
        [jobs[0]?.id, jobs[1]?.id],
      );
      assert.equal((await serviceStats(store, 'svc')).queued, 1, 'the third stays queued');
      assert.deepEqual(await store.claimQueued('svc', { count: 10, bytes: 1 }), []);
      await store.close();
    });

    test('[P-JOB-SHAPE] a job reaches its worker byte for byte: body, headers, payload fields', async () => {
      const { store } = await open();
      const body = Buffer.from([0, 255, 10, 13, 0xc3, 0x28, 34, 92]);
      const j: Job = {
        ...job(),
        payload: {
          method: 'PUT',
          path: '/a%2Fb/ü',
          query: 'x=1&y=%20',
          body,
          contentType: 'application/octet-stream',
          isJson: false,
          headers: { 'x-one': 'v', 'accept-language': 'de' },
          flowId: 'flow-1',
        },
      };
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      assert.deepEqual(
        { ...delivery.job, payload: { ...delivery.job.payload, body: undefined } },
        { ...j, payload: { ...j.payload, body: undefined } },
      );
      assert.deepEqual(Buffer.from(delivery.job.payload.body), body);
      await store.close();
    });

    test('[P-LIMITS] enqueue beyond maxQueuedPerService throws queue_full and counts a rejection', async () => {
      const { store } = await open({ maxQueuedPerService: 2 });
      await store.enqueue(job(), anyWorkers);
      await store.enqueue(job(), anyWorkers);
      await assert.rejects(store.enqueue(job(), anyWorkers), hasCode(ErrorCode.QueueFull));
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 2);
      assert.equal(stats.rejected, 1);
      await store.close();
    });

    test('[P-ANSWER] an answer reaches the feed byte for byte, once', async () => {
      const { store, heard } = await open();
      const j = job();
      await store.enqueue(j, anyWorkers);
      // Held by a socket: its replica must hear when the hand-out ends.
      const [delivery] = await store.claimQueued('svc', any(1), { heldBySocket: true });
      assert.ok(delivery);
      const sent: Answer = {
        status: 201,
        contentType: 'application/octet-stream',
        headers: { 'set-cookie': ['a=1', 'b=2'], 'x-one': 'v' },
        body: Buffer.from([0, 1, 254, 255]),
      };
      await store.answer(delivery.id, sent);
      const outcome = await heard.outcome(j.id);
      assert.ok('answer' in outcome);
      assert.deepEqual(
        { ...outcome.answer, body: Buffer.from(outcome.answer.body) },
        { ...sent, body: Buffer.from(sent.body) },
      );
      await until(() => heard.handOutsEnded.includes(delivery.id), 'the hand-out ended');
      assert.equal(heard.toldFor(j.id), 1);
      await store.close();
    });

    test('[P-ANSWER-ONCE] a second answer finds the delivery answered and changes nothing', async () => {
      const { store, heard } = await open();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      assert.equal(await store.answer(delivery.id, answer('first')), undefined);
      assert.equal(await store.answer(delivery.id, answer('second')), 'answered');
      assert.equal(answerText(await heard.outcome(j.id)), 'first');
      assert.equal((await serviceStats(store, 'svc')).answered, 1);
      assert.equal(heard.toldFor(j.id), 1);
      await store.close();
    });

    test('[P-ANSWER] an unknown delivery id is unknown', async () => {
      const { store } = await open();
      assert.equal(await store.answer('nope', answer()), 'unknown');
      assert.equal(await store.heartbeat('nope'), 'unknown');
      assert.equal(await store.fail('nope', { message: 'x', retry: true }), 'unknown');
      await store.close();
    });

    test('[P-ANSWER-NEXT] answerAndTake answers and takes the next job in one step', async () => {
      const { store, heard } = await open();
      const first = job();
      const second = job();
      await store.enqueue(first, anyWorkers);
      await store.enqueue(second, anyWorkers);
      const delivery = await claimed(store);
      const next = await store.answerAndTake(delivery.id, answer('one'), 'svc', any(1));
      assert.ok(Array.isArray(next));
      assert.deepEqual(
        next.map((d) => d.job.id),
        [second.id],
      );
      assert.equal(answerText(await heard.outcome(first.id)), 'one');
      // A refused answer takes nothing.
      assert.equal(await store.answerAndTake(delivery.id, answer(), 'svc', any(1)), 'answered');
      const [last] = next;
      assert.ok(last);
      assert.deepEqual(await store.answerAndTake(last.id, answer('two'), 'svc', any(1)), []);
      assert.equal(answerText(await heard.outcome(second.id)), 'two');
      await store.close();
    });

    test('[P-CALLER-GONE-QUEUED] giving up on a queued job withdraws it: no worker ever sees it', async () => {
      const { store, heard } = await open();
      const j = job();
      const later = job();
      await store.enqueue(j, anyWorkers);
      await store.enqueue(later, anyWorkers);
      assert.equal(await store.giveUp(j.id, gaveUp.cancelled), 'withdrawn');
      assert.equal((await claimed(store)).job.id, later.id);
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 0);
      assert.equal(stats.cancelled, 1);
      assert.deepEqual(await heard.outcome(j.id), { error: gaveUp.cancelled });
      await store.close();
    });

    test('[P-CALLER-GONE-IN-FLIGHT] giving up on an in-flight job makes its answer caller_gone', async () => {
      const { store } = await open();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      assert.equal(await store.giveUp(j.id, gaveUp.timeout), 'abandoned');
      assert.equal(await store.answer(delivery.id, answer()), 'caller_gone');
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.timedOut, 1);
      await store.close();
    });

    test('giving up after the answer arrived reports settled: the feed has the answer', async () => {
      const { store, heard } = await open();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      await store.answer(delivery.id, answer('won'));
      assert.equal(await store.giveUp(j.id, gaveUp.timeout), 'settled');
      assert.equal(answerText(await heard.outcome(j.id)), 'won');
      await store.close();
    });

    test('[P-POLL-GONE] release puts an in-flight job back at the head of its queue', async () => {
      const { store } = await open();
      const first = job();
      const second = job();
      await store.enqueue(first, anyWorkers);
      await store.enqueue(second, anyWorkers);
      const delivery = await claimed(store);
      assert.equal(await store.release(delivery.id), true);
      const again = await claimed(store);
      assert.deepEqual([again.job.id, again.attempt], [first.id, 1], 'no attempt used up');
      assert.equal(await store.release('unknown'), false);
      await store.close();
    });

    test('[P-HANDOFF] a take that leaves jobs queued tells the feed: the next parked take looks too', async () => {
      // Notices of a burst may come while no take is parked; the take that
      // comes next finds one job of many, and the feed must say more are there.
      const { store, heard } = await open();
      await store.enqueue(job(), anyWorkers);
      await store.enqueue(job(), anyWorkers);
      await until(() => heard.works.length === 2, 'both enqueues were heard');
      await store.claimQueued('svc', any(1));
      await until(() => heard.works.length === 3, 'the take that left one queued was heard');
      await store.claimQueued('svc', any(1));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(heard.works.length, 3, 'a take that empties the queue says nothing');
      await store.close();
    });

    test('release tells the feed: the job is there to take again', async () => {
      const { store, heard } = await open();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      await until(() => heard.works.length === 1, 'the enqueue was heard');
      await store.release(delivery.id);
      await until(() => heard.works.length === 2, 'the release was heard');
      assert.deepEqual(heard.works, ['svc', 'svc']);
      assert.equal((await claimed(store)).job.id, j.id);
      assert.equal((await serviceStats(store, 'svc')).inFlight, 1);
      await store.close();
    });

    test('[P-SHUTDOWN] withdrawQueued withdraws queued jobs only, ending them with the reason', async () => {
      const { store, heard } = await open();
      const held = job();
      const queued = job();
      await store.enqueue(held, anyWorkers);
      await claimed(store);
      await store.enqueue(queued, anyWorkers);
      const reason = { code: ErrorCode.ShuttingDown, message: 'the hub is shutting down' };
      assert.equal(await store.withdrawQueued(held.id, reason), false);
      assert.equal(await store.withdrawQueued(queued.id, reason), true);
      assert.deepEqual(await heard.outcome(queued.id), { error: reason });
      assert.equal(heard.toldFor(held.id), 0, 'the held job goes on');
      const stats = await serviceStats(store, 'svc');
      assert.deepEqual([stats.queued, stats.inFlight, stats.rejected], [0, 1, 1]);
      await store.close();
    });

    test('[P-STATUS] stats count calls, answers and live jobs per service', async () => {
      const { store } = await open();
      const a = job('a');
      await store.enqueue(a, anyWorkers);
      await store.enqueue(job('a'), anyWorkers);
      await store.enqueue(job('b'), anyWorkers);
      const delivery = await claimed(store, 'a');
      await store.answer(delivery.id, answer());
      // A take that finds nothing still makes its service known.
      assert.deepEqual(await store.claimQueued('c', any(1)), []);
      const byService = Object.fromEntries((await store.stats()).map((s) => [s.service, s]));
      assert.equal(byService.a?.calls, 2);
      assert.equal(byService.a?.answered, 1);
      assert.equal(byService.a?.queued, 1);
      assert.equal(byService.b?.queued, 1);
      assert.equal(byService.c?.queued, 0);
      await store.close();
    });

    test('[P-LEASE] an expired lease hands the job out again at the head, as the next attempt with a new id', async (t) => {
      const tick = mockClock(t);
      const { store, heard } = await open({ leaseMs: 20 });
      const first = job();
      await store.enqueue(first, anyWorkers);
      const lost = await claimed(store);
      await store.enqueue(job(), anyWorkers);
      // The store keeps no timer: its owner reaps, with the time.
      tick(19);
      assert.equal(await store.reapExpired(Date.now()), Date.now() + 1, 'the lease ends in 1 ms');
      assert.equal((await serviceStats(store, 'svc')).redelivered, 0, 'not before the lease ends');
      tick(1);
      assert.equal(await store.reapExpired(Date.now()), undefined, 'no lease is held after it');
      assert.equal((await serviceStats(store, 'svc')).redelivered, 1);
      const again = await claimed(store);
      assert.deepEqual([again.job.id, again.attempt], [first.id, 2]);
      assert.notEqual(again.id, lost.id);
      assert.equal(await store.answer(lost.id, answer()), 'lease_lost');
      await store.answer(again.id, answer('second'));
      assert.equal(answerText(await heard.outcome(first.id)), 'second');
      await until(() => heard.retries.length === 1, 'the retry was heard');
      assert.deepEqual(
        heard.retries.map((r) => [r.jobId, r.attempt, r.outcome]),
        [[first.id, 1, 'retrying']],
      );
      await store.close();
    });

    test('[P-LEASE] the store keeps no timer: a lapsed lease holds until reapExpired is called', async (t) => {
      const tick = mockClock(t);
      const { store } = await open({ leaseMs: 20 });
      await store.enqueue(job(), anyWorkers);
      const held = await claimed(store);
      tick(1000);
      // Nothing reaped it yet: the worker's late answer still counts.
      assert.equal((await serviceStats(store, 'svc')).redelivered, 0);
      assert.equal(await store.answer(held.id, answer()), undefined);
      assert.equal(await store.reapExpired(Date.now()), undefined);
      await store.close();
    });

    test('[P-HEARTBEAT] a heartbeat restarts the lease and resolves its new end', async (t) => {
      const tick = mockClock(t);
      const { store } = await open({ leaseMs: 30 });
      await store.enqueue(job(), anyWorkers);
      const held = await claimed(store);
      for (let i = 0; i < 4; i++) {
        tick(20);
        await store.reapExpired(Date.now());
        assert.equal(await store.heartbeat(held.id), Date.now() + 30);
      }
      // 80 ms in, past two whole leases: the heartbeats kept it.
      assert.equal((await serviceStats(store, 'svc')).redelivered, 0);
      await store.answer(held.id, answer());
      assert.equal(await store.heartbeat(held.id), 'answered');
      await store.close();
    });

    test('[P-ATTEMPTS] [P-FAIL] failures retry while attempts remain, then the job fails with worker_failed', async () => {
      const { store, heard } = await open();
      const j = job('svc', { maxAttempts: 2 });
      await store.enqueue(j, anyWorkers);
      const first = await claimed(store);
      assert.equal(await store.fail(first.id, { message: 'a', retry: true }), 'retrying');
      assert.equal(await store.fail(first.id, { message: 'a', retry: true }), 'lease_lost');
      const last = await claimed(store);
      assert.equal(last.attempt, 2);
      assert.equal(await store.fail(last.id, { message: 'b', retry: true }), 'failed');
      assert.deepEqual(await heard.outcome(j.id), {
        error: { code: ErrorCode.WorkerFailed, message: 'b' },
      });
      const stats = await serviceStats(store, 'svc');
      assert.deepEqual([stats.redelivered, stats.failed, stats.inFlight], [1, 1, 0]);
      await store.close();
    });

    test('[P-FAIL] a failure without retry fails the job at once', async () => {
      const { store, heard } = await open();
      const j = job('svc', { maxAttempts: 5 });
      await store.enqueue(j, anyWorkers);
      assert.equal(
        await store.fail((await claimed(store)).id, { message: 'no', retry: false }),
        'failed',
      );
      assert.deepEqual(await heard.outcome(j.id), {
        error: { code: ErrorCode.WorkerFailed, message: 'no' },
      });
      await store.close();
    });

    test('[P-NO-WORKERS] enqueue with requireWorkers refuses a service no worker was seen for', async () => {
      const { store } = await open({ workerWindowMs: 1000 });
      await assert.rejects(
        store.enqueue(job(), { requireWorkers: true }),
        hasCode(ErrorCode.NoWorkers),
      );
      assert.deepEqual(await store.stats(), [], 'a refused call leaves no service behind');
      // A take that finds nothing shows its worker all the same.
      assert.deepEqual(await store.claimQueued('svc', any(1), { workerId: 'w' }), []);
      await store.enqueue(job(), { requireWorkers: true });
      const [detail] = await store.services();
      assert.deepEqual(
        detail?.workers.map((w) => w.id),
        ['w'],
      );
      await store.close();
    });

    test('[P-NO-WORKERS] a take parked past the worker window keeps its service served', async (t) => {
      const tick = mockClock(t);
      const { store } = await open({ workerWindowMs: 100 });
      assert.deepEqual(
        await store.claimQueued('svc', any(1), { parkedUntil: Date.now() + 1000 }),
        [],
      );
      tick(500);
      await store.enqueue(job(), { requireWorkers: true });
      tick(600);
      await assert.rejects(
        store.enqueue(job(), { requireWorkers: true }),
        hasCode(ErrorCode.NoWorkers),
      );
      await store.close();
    });

    test('[P-TIMEOUT] workerLastSeenAt tells when a worker of the service last showed itself', async () => {
      const { store } = await open();
      assert.equal(await store.workerLastSeenAt('svc'), undefined);
      const before = Date.now();
      await store.claimQueued('svc', any(1), { workerId: 'w' });
      const seen = await store.workerLastSeenAt('svc');
      assert.ok(seen !== undefined && seen >= before && seen <= Date.now(), String(seen));
      assert.equal(await store.workerLastSeenAt('other'), undefined);
      await store.close();
    });

    test('serviceOf and jobState follow a job from queued to held to gone', async () => {
      const { store } = await open();
      const j = job('s1');
      await store.enqueue(j, anyWorkers);
      assert.equal(await store.jobState(j.id), 'queued');
      const delivery = await claimed(store, 's1');
      assert.equal(await store.jobState(j.id), 'in_flight');
      assert.equal(await store.serviceOf(delivery.id), 's1');
      await store.answer(delivery.id, answer());
      assert.equal(await store.jobState(j.id), undefined);
      assert.equal(await store.serviceOf(delivery.id), undefined);
      await store.close();
    });

    describe('runs', () => {
      const key = (k: string, fingerprint = 'f1') => ({ key: k, fingerprint });

      test('[P-IDEMPOTENCY] enqueue with a key in use queues nothing and returns that run', async () => {
        const { store } = await open();
        const first = job();
        assert.equal(await store.enqueue(first, asRun(key('k'))), undefined);
        const second = job();
        const joined = await store.enqueue(second, asRun(key('k', 'f2')));
        assert.deepEqual(
          { id: joined?.joined.id, fingerprint: joined?.joined.fingerprint },
          { id: first.id, fingerprint: 'f1' },
        );
        assert.equal(await store.run(second.id), undefined, 'the second run never began');
        assert.equal((await serviceStats(store, 'svc')).queued, 1);
        await store.close();
      });

      test('[P-ASYNC] ending the job ends its run in the same step: its outcome is kept', async () => {
        const { store } = await open();
        const j = job();
        await store.enqueue(j, asRun());
        assert.deepEqual(await store.run(j.id), {
          id: j.id,
          service: 'svc',
          fingerprint: undefined,
          outcome: undefined,
        });
        await store.answer((await claimed(store)).id, answer('done'));
        const kept = (await store.run(j.id))?.outcome;
        assert.ok(kept);
        assert.equal(answerText(kept), 'done');
        assert.equal(await store.run('unknown'), undefined);
        await store.close();
      });

      test('[P-IDEMPOTENCY] an answered run keeps its key; a failed one frees it, so a retry runs again', async () => {
        const { store } = await open();
        const ok = job();
        await store.enqueue(ok, asRun(key('ok')));
        await store.answer((await claimed(store)).id, answer());
        assert.equal((await store.enqueue(job(), asRun(key('ok'))))?.joined.id, ok.id);
        const bad = job();
        await store.enqueue(bad, asRun(key('bad')));
        await store.giveUp(bad.id, gaveUp.timeout);
        assert.deepEqual((await store.run(bad.id))?.outcome, { error: gaveUp.timeout });
        assert.equal(await store.enqueue(job(), asRun(key('bad'))), undefined);
        await store.close();
      });

      test('[P-IDEMPOTENCY] a run refused at enqueue leaves its key free', async () => {
        const { store } = await open({ maxQueuedPerService: 1 });
        await store.enqueue(job(), anyWorkers);
        const refused = job();
        await assert.rejects(store.enqueue(refused, asRun(key('k'))), hasCode(ErrorCode.QueueFull));
        assert.equal(await store.run(refused.id), undefined);
        await store.claimQueued('svc', any(1));
        assert.equal(await store.enqueue(job(), asRun(key('k'))), undefined);
        await store.close();
      });

      test('[P-RESULTS] outcomes are kept for ttlMs, then forgotten with their keys', async (t) => {
        const tick = mockClock(t);
        const { store } = await open({
          results: { ...defaultStoreOptions.results, ttlMs: 1000 },
        });
        const j = job();
        await store.enqueue(j, asRun(key('k')));
        await store.answer((await claimed(store)).id, answer());
        tick(999);
        assert.ok(await store.run(j.id));
        tick(1);
        assert.equal(await store.run(j.id), undefined);
        assert.equal(await store.enqueue(job(), asRun(key('k'))), undefined);
        await store.close();
      });

      test("[P-SHARES] past its own count cap a service drops its oldest outcomes, never another service's", async (t) => {
        // One millisecond for them all, and ids that sort against finishing
        // order: the oldest is the one that finished first, not the least id.
        mockClock(t);
        const ids = ['z-first', 'y-second', 'x-third', 'w-quiet'];
        const options = { ...defaultStoreOptions.results, maxResults: 10, maxResultsPerService: 2 };
        const { store } = await open({ results: options });
        const finishRun = async (service: string) => {
          const j = { ...job(service), id: `${service === 'quiet' ? ids[3] : ids.shift()}` };
          await store.enqueue(j, asRun());
          await store.answer((await claimed(store, service)).id, answer());
          return j.id;
        };
        const other = await finishRun('quiet');
        const [a, b, c] = [
          await finishRun('busy'),
          await finishRun('busy'),
          await finishRun('busy'),
        ];
        assert.equal(await store.run(a ?? ''), undefined, "busy's oldest went");
        assert.ok(await store.run(b ?? ''));
        assert.ok(await store.run(c ?? ''));
        assert.ok(await store.run(other), "quiet's outcome stayed");
        await store.close();
      });
    });

    test('[P-LIMITS] at maxServices an idle service is forgotten; if none is idle, too_many_services', async () => {
      const { store } = await open({ maxServices: 2 });
      await store.enqueue(job('a'), anyWorkers);
      const idle = job('b');
      await store.enqueue(idle, anyWorkers);
      await store.giveUp(idle.id, gaveUp.cancelled);
      await store.enqueue(job('c'), anyWorkers);
      const names = (await store.stats()).map((s) => s.service);
      assert.deepEqual(names, ['a', 'c']);
      await assert.rejects(store.enqueue(job('d'), anyWorkers), hasCode(ErrorCode.TooManyServices));
      await store.close();
    });

    test('[P-ANSWER-NEXT] an answer whose take is refused (too_many_services) is handed over all the same', async () => {
      const { store, heard } = await open({ maxServices: 1 });
      const first = job('a');
      await store.enqueue(first, anyWorkers);
      await store.enqueue(job('a'), anyWorkers);
      const [delivery] = await store.claimQueued('a', any(1));
      assert.ok(delivery);
      // Service 'a' stays busy (a job queued), so 'b' cannot be tracked.
      await assert.rejects(
        store.answerAndTake(delivery.id, answer('kept'), 'b', any(1)),
        hasCode(ErrorCode.TooManyServices),
      );
      assert.equal(answerText(await heard.outcome(first.id)), 'kept');
      assert.equal(await store.answer(delivery.id, answer()), 'answered');
      await store.close();
    });

    describe('two stores on one backend (replicas)', {
      skip: !makeStore.twin && 'this store cannot share its backend',
    }, () => {
      test('[P-REPLICAS] [P-ANSWER-ONCE] racing takes never hand one job to two workers; racing answers end it once', async () => {
        const { store: a, heard: heardA } = await open();
        const b = await makeStore.twin?.(a);
        assert.ok(b);
        const heardB = new HeardFeed();
        await b.subscribe(heardB);
        const jobs = Array.from({ length: 40 }, () => job());
        await Promise.all(jobs.map((j, i) => (i % 2 ? a : b).enqueue(j, anyWorkers)));
        const takes = await Promise.all(
          Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).claimQueued('svc', any(1))),
        );
        const taken = takes.flat();
        assert.equal(taken.length, jobs.length, 'every job taken');
        assert.equal(new Set(taken.map((d) => d.job.id)).size, jobs.length, 'none twice');
        const replies = await Promise.all(
          taken.flatMap((d) => [a.answer(d.id, answer('a')), b.answer(d.id, answer('b'))]),
        );
        assert.equal(replies.filter((r) => r === undefined).length, jobs.length, 'one answer each');
        assert.equal(replies.filter((r) => r === 'answered').length, jobs.length);
        // The replica that queued each job hears its outcome, once.
        for (const [i, j] of jobs.entries()) {
          const heard = i % 2 ? heardA : heardB;
          await heard.outcome(j.id);
          assert.equal(heard.toldFor(j.id), 1);
        }
        await b.close();
        await a.close();
      });

      test('[P-REPLICA-LOSS] leases a dead replica granted, and jobs its callers left, are ended by a survivor', async (t) => {
        const tick = mockClock(t);
        const { store: dead } = await open({ leaseMs: 50 });
        const survivor = await makeStore.twin?.(dead, { leaseMs: 50 });
        assert.ok(survivor);
        await survivor.subscribe(new HeardFeed());
        const held = job('svc', { deadlineMs: 60_000 });
        const abandoned = job('svc', { deadlineMs: 100 });
        await dead.enqueue(held, anyWorkers);
        await claimed(dead);
        await dead.enqueue(abandoned, anyWorkers);
        await dead.close();
        // The lease lapses: the survivor's reap hands the job out again.
        tick(50);
        await survivor.reapExpired(Date.now());
        const again = await claimed(survivor);
        assert.deepEqual([again.job.id, again.attempt], [held.id, 2]);
        // The other job's caller was parked on the dead replica: once its
        // deadline is long past, a survivor gives it up.
        assert.equal(await survivor.jobState(abandoned.id), 'queued');
        tick(60_000);
        await survivor.reapExpired(Date.now());
        assert.equal(await survivor.jobState(abandoned.id), undefined);
        assert.equal((await serviceStats(survivor, 'svc')).timedOut, 1);
        await survivor.close();
      });

      test('[P-REPLICAS] [P-HANDOFF] work queued on one replica is told to the other', async () => {
        const { store: a } = await open();
        const b = await makeStore.twin?.(a);
        assert.ok(b);
        const heardB = new HeardFeed();
        await b.subscribe(heardB);
        await a.enqueue(job('across'), anyWorkers);
        await until(() => heardB.works.includes('across'), 'replica B heard of the work');
        assert.equal((await b.claimQueued('across', any(1))).length, 1);
        await b.close();
        await a.close();
      });
    });
  });
}

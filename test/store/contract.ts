/**
 * The JobStore conformance suite: every store (memory now, Redis later) runs it.
 * Each test names the rule of src/store/job-store.ts it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nanoid } from 'nanoid';
import type { Answer, Delivery, Job } from '../../src/domain/job.js';
import { ErrorCode, HubError } from '../../src/errors.js';
import type { JobStore, StoreOptions } from '../../src/store/job-store.js';
import { mockClock } from '../support/clock.js';
import { jsonPayload } from '../support/config.js';
import { hasCode } from '../support/errors.js';

/**
 * Makes a fresh store with these settings, on whatever backend the store uses:
 * the suite knows no store by name. A networked store's factory is async and
 * gives each store a key prefix of its own.
 */
export type StoreFactory = (options?: Partial<StoreOptions>) => JobStore | Promise<JobStore>;

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

/** Why a caller gave up, as the core tells the store. */
const gaveUp = {
  cancelled: new HubError(ErrorCode.Cancelled, 'the caller went away'),
  timeout: new HubError(ErrorCode.Timeout, 'no worker answered before the deadline'),
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
  describe(`${name} - JobStore contract`, () => {
    test('[P-FIFO] queued jobs are claimed in arrival order', async () => {
      const store = await makeStore();
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, anyWorkers);
      const claimed = [];
      for (let i = 0; i < jobs.length; i++)
        claimed.push((await store.claimQueued('svc', any(1)))[0]?.job.id);
      assert.deepEqual(
        claimed,
        jobs.map((j) => j.id),
      );
    });

    test('[P-HANDOFF] enqueue tells watchWork the service once the job can be taken', async () => {
      const store = await makeStore();
      const told: string[] = [];
      let taken: Delivery | undefined;
      store.watchWork((service) => {
        told.push(service);
        // The job is there to take when the listener hears of it.
        void store.claimQueued(service, any(1)).then(([delivery]) => {
          taken = delivery;
        });
      });
      const j = job();
      await store.enqueue(j, anyWorkers);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(told, ['svc']);
      assert.equal(taken?.job.id, j.id);
      assert.equal((await serviceStats(store, 'svc')).queued, 0);
    });

    test('[P-BATCH-TAKE] claimQueued takes up to max queued jobs, oldest first, and never waits', async () => {
      const store = await makeStore();
      assert.deepEqual(
        await store.claimQueued('svc', any(5)),
        [],
        'nothing queued: at once, empty',
      );
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j, anyWorkers);
      const firstTwo = await store.claimQueued('svc', any(2), 'w1');
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
      const answered = await store.enqueue(job(), anyWorkers);
      const [only] = await store.claimQueued('svc', any(1));
      assert.ok(only);
      await store.answer(only.id, answer('batched'));
      assert.equal(Buffer.from((await answered.answer).body).toString(), 'batched');
    });

    test('[P-BATCH-TAKE] claimQueued stops before the first job whose body would pass its byte limit', async () => {
      const store = await makeStore();
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
    });

    test('[P-LIMITS] enqueue beyond maxQueuedPerService throws queue_full and counts a rejection', async () => {
      const store = await makeStore({ maxQueuedPerService: 2 });
      await store.enqueue(job(), anyWorkers);
      await store.enqueue(job(), anyWorkers);
      await assert.rejects(store.enqueue(job(), anyWorkers), hasCode(ErrorCode.QueueFull));
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 2);
      assert.equal(stats.rejected, 1);
    });

    test('[P-ANSWER] an answer reaches the ticket byte for byte', async () => {
      const store = await makeStore();
      const j = job();
      const ticket = await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      const sent = answer('hello');
      await store.answer(delivery.id, sent);
      assert.deepEqual(await ticket.answer, sent);
    });

    test('[P-ANSWER-ONCE] a second answer gets already_answered and changes nothing', async () => {
      const store = await makeStore();
      const j = job();
      const ticket = await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      await store.answer(delivery.id, answer('first'));
      await assert.rejects(
        store.answer(delivery.id, answer('second')),
        hasCode(ErrorCode.AlreadyAnswered),
      );
      assert.equal(Buffer.from((await ticket.answer).body).toString(), 'first');
      assert.equal((await serviceStats(store, 'svc')).answered, 1);
    });

    test('[P-ANSWER] an unknown job id gets unknown_job', async () => {
      const store = await makeStore();
      await assert.rejects(store.answer('nope', answer()), hasCode(ErrorCode.UnknownJob));
    });

    test('[P-CALLER-GONE-QUEUED] giving up on a queued job withdraws it: no worker ever sees it', async () => {
      const store = await makeStore();
      const j = job();
      const later = job();
      await store.enqueue(j, anyWorkers);
      await store.enqueue(later, anyWorkers);
      assert.equal(await store.giveUp(j.id, gaveUp.cancelled), 'withdrawn');
      assert.equal((await claimed(store)).job.id, later.id);
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 0);
      assert.equal(stats.cancelled, 1);
    });

    test('[P-CALLER-GONE-IN-FLIGHT] giving up on an in-flight job makes its answer caller_gone', async () => {
      const store = await makeStore();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      assert.equal(await store.giveUp(j.id, gaveUp.timeout), 'abandoned');
      await assert.rejects(store.answer(delivery.id, answer()), hasCode(ErrorCode.CallerGone));
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.timedOut, 1);
    });

    test('giving up after the answer arrived reports settled, so the caller takes it', async () => {
      const store = await makeStore();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      await store.answer(delivery.id, answer());
      assert.equal(await store.giveUp(j.id, gaveUp.timeout), 'settled');
    });

    test('[P-POLL-GONE] release puts an in-flight job back at the head of its queue', async () => {
      const store = await makeStore();
      const first = job();
      const second = job();
      await store.enqueue(first, anyWorkers);
      await store.enqueue(second, anyWorkers);
      const delivery = await claimed(store);
      assert.equal(await store.release(delivery.id), true);
      assert.equal((await claimed(store)).job.id, first.id);
      assert.equal(await store.release('unknown'), false);
    });

    test('release tells watchWork: the job is there to take again', async () => {
      const store = await makeStore();
      const j = job();
      await store.enqueue(j, anyWorkers);
      const delivery = await claimed(store);
      const told: string[] = [];
      store.watchWork((service) => told.push(service));
      await store.release(delivery.id);
      assert.deepEqual(told, ['svc']);
      assert.equal((await claimed(store)).job.id, j.id);
      assert.equal((await serviceStats(store, 'svc')).inFlight, 1);
    });

    test('[P-SHUTDOWN] withdrawQueued withdraws queued jobs only, rejecting their tickets with the reason', async () => {
      const store = await makeStore();
      const held = job();
      const queued = job();
      await store.enqueue(held, anyWorkers);
      await claimed(store);
      const ticket = await store.enqueue(queued, anyWorkers);
      // Plain data, as a networked store would receive it.
      const reason = { code: ErrorCode.ShuttingDown, message: 'the hub is shutting down' };
      assert.equal(await store.withdrawQueued(held.id, reason), false);
      assert.equal(await store.withdrawQueued(queued.id, reason), true);
      await assert.rejects(
        ticket.answer,
        hasCode(ErrorCode.ShuttingDown, /^the hub is shutting down$/),
      );
      const stats = await serviceStats(store, 'svc');
      assert.deepEqual([stats.queued, stats.inFlight, stats.rejected], [0, 1, 1]);
    });

    test('[P-STATUS] stats count calls, answers and live jobs per service', async () => {
      const store = await makeStore();
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
    });

    test('[P-LEASE] an expired lease hands the job out again at the head, as the next attempt with a new id', async (t) => {
      const tick = mockClock(t);
      const store = await makeStore({ leaseMs: 20 });
      const first = job();
      const ticket = await store.enqueue(first, anyWorkers);
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
      await assert.rejects(store.answer(lost.id, answer()), hasCode(ErrorCode.LeaseLost));
      await store.answer(again.id, answer('second'));
      assert.equal(Buffer.from((await ticket.answer).body).toString(), 'second');
      await store.close();
    });

    test('[P-LEASE] the store keeps no timer: a lapsed lease holds until reapExpired is called', async (t) => {
      const tick = mockClock(t);
      const store = await makeStore({ leaseMs: 20 });
      await store.enqueue(job(), anyWorkers);
      const held = await claimed(store);
      tick(1000);
      // Nothing reaped it yet: the worker's late answer still counts.
      assert.equal((await serviceStats(store, 'svc')).redelivered, 0);
      await store.answer(held.id, answer());
      assert.equal(await store.reapExpired(Date.now()), undefined);
      await store.close();
    });

    test('[P-HEARTBEAT] a heartbeat restarts the lease and resolves its new end', async (t) => {
      const tick = mockClock(t);
      const store = await makeStore({ leaseMs: 30 });
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
      await assert.rejects(store.heartbeat(held.id), hasCode(ErrorCode.AlreadyAnswered));
      await store.close();
    });

    test('[P-ATTEMPTS] [P-FAIL] failures retry while attempts remain, then the ticket rejects with worker_failed', async () => {
      const store = await makeStore();
      const ticket = await store.enqueue(job('svc', { maxAttempts: 2 }), anyWorkers);
      assert.equal(
        await store.fail((await claimed(store)).id, { message: 'a', retry: true }),
        'retrying',
      );
      const last = await claimed(store);
      assert.equal(last.attempt, 2);
      assert.equal(await store.fail(last.id, { message: 'b', retry: true }), 'failed');
      await assert.rejects(ticket.answer, hasCode(ErrorCode.WorkerFailed));
      const stats = await serviceStats(store, 'svc');
      assert.deepEqual([stats.redelivered, stats.failed, stats.inFlight], [1, 1, 0]);
    });

    test('[P-NO-WORKERS] enqueue with requireWorkers refuses a service no worker was seen for', async () => {
      const store = await makeStore({ workerWindowMs: 1000 });
      await assert.rejects(
        store.enqueue(job(), { requireWorkers: true }),
        hasCode(ErrorCode.NoWorkers),
      );
      assert.deepEqual(await store.stats(), [], 'a refused call leaves no service behind');
      // A take that finds nothing shows its worker all the same.
      assert.deepEqual(await store.claimQueued('svc', any(1), 'w'), []);
      await store.enqueue(job(), { requireWorkers: true });
      const [detail] = await store.services();
      assert.deepEqual(
        detail?.workers.map((w) => w.id),
        ['w'],
      );
    });

    test('[P-TIMEOUT] workerLastSeenAt tells when a worker of the service last showed itself', async () => {
      const store = await makeStore();
      assert.equal(await store.workerLastSeenAt('svc'), undefined);
      const before = Date.now();
      await store.claimQueued('svc', any(1), 'w');
      const seen = await store.workerLastSeenAt('svc');
      assert.ok(seen !== undefined && seen >= before && seen <= Date.now(), String(seen));
      assert.equal(await store.workerLastSeenAt('other'), undefined);
    });

    describe('results (ResultStore)', () => {
      const key = (k: string, fingerprint = 'f1') => ({ key: k, fingerprint });

      test('[P-IDEMPOTENCY] begin is atomic per key: a second run with the key gets the first, and nothing begins', async () => {
        const { results } = await makeStore();
        assert.equal(
          await results.begin({ id: 'a', service: 's', idempotency: key('k') }),
          undefined,
        );
        const joined = await results.begin({ id: 'b', service: 's', idempotency: key('k', 'f2') });
        assert.deepEqual(
          { id: joined?.id, fingerprint: joined?.fingerprint },
          { id: 'a', fingerprint: 'f1' },
        );
        assert.equal(await results.get('b'), undefined, 'the second run never began');
        assert.equal(await results.begin({ id: 'c', service: 's' }), undefined, 'no key: begins');
      });

      test('[P-ASYNC] finish keeps the outcome, and tells the runs waiting for it', async () => {
        const { results } = await makeStore();
        await results.begin({ id: 'a', service: 's' });
        assert.equal((await results.get('a'))?.outcome, undefined);
        const waiting = results.ended('a');
        await results.finish('a', { answer: answer('done') });
        const outcome = await waiting;
        assert.ok(outcome && 'answer' in outcome);
        assert.equal(Buffer.from(outcome.answer.body).toString(), 'done');
        const kept = (await results.get('a'))?.outcome;
        assert.ok(kept && 'answer' in kept && kept.answer.status === 200);
        assert.equal(await results.ended('unknown'), undefined, 'an unknown run ends at once');
      });

      test('[P-ASYNC] ended resolves undefined when its signal aborts first', async () => {
        const { results } = await makeStore();
        await results.begin({ id: 'a', service: 's' });
        const stop = new AbortController();
        const waiting = results.ended('a', stop.signal);
        stop.abort();
        assert.equal(await waiting, undefined);
      });

      test('[P-IDEMPOTENCY] an answered run keeps its key; a failed one frees it, so a retry runs again', async () => {
        const { results } = await makeStore();
        await results.begin({ id: 'a', service: 's', idempotency: key('ok') });
        await results.finish('a', { answer: answer() });
        assert.equal(
          (await results.begin({ id: 'x', service: 's', idempotency: key('ok') }))?.id,
          'a',
        );
        await results.begin({ id: 'b', service: 's', idempotency: key('bad') });
        await results.finish('b', { error: gaveUp.timeout });
        assert.equal(
          await results.begin({ id: 'y', service: 's', idempotency: key('bad') }),
          undefined,
        );
      });

      test('[P-IDEMPOTENCY] discard forgets a run never queued, and its waiters hear why', async () => {
        const { results } = await makeStore();
        await results.begin({ id: 'a', service: 's', idempotency: key('k') });
        const waiting = results.ended('a');
        const refused = new HubError(ErrorCode.QueueFull, 'full');
        await results.discard('a', { error: refused });
        assert.deepEqual(await waiting, { error: refused });
        assert.equal(await results.get('a'), undefined);
        assert.equal(
          await results.begin({ id: 'b', service: 's', idempotency: key('k') }),
          undefined,
        );
      });

      test('[P-RESULTS] outcomes are kept for ttlMs, then forgotten with their keys', async (t) => {
        const tick = mockClock(t);
        const { results } = await makeStore({
          results: { ...defaultStoreOptions.results, ttlMs: 1000 },
        });
        await results.begin({ id: 'a', service: 's', idempotency: key('k') });
        await results.finish('a', { answer: answer() });
        tick(999);
        assert.ok(await results.get('a'));
        tick(1);
        assert.equal(await results.get('a'), undefined);
        assert.equal(
          await results.begin({ id: 'b', service: 's', idempotency: key('k') }),
          undefined,
        );
      });

      test("[P-SHARES] past its own count cap a service drops its oldest outcomes, never another service's", async () => {
        const options = { ...defaultStoreOptions.results, maxResults: 10, maxResultsPerService: 2 };
        const { results } = await makeStore({ results: options });
        await results.begin({ id: 'other', service: 'quiet' });
        await results.finish('other', { answer: answer() });
        for (const id of ['a', 'b', 'c']) {
          await results.begin({ id, service: 'busy' });
          await results.finish(id, { answer: answer() });
        }
        assert.equal(await results.get('a'), undefined, "busy's oldest went");
        assert.ok(await results.get('b'));
        assert.ok(await results.get('c'));
        assert.ok(await results.get('other'), "quiet's outcome stayed");
      });
    });

    test('[P-LIMITS] at maxServices an idle service is forgotten; if none is idle, too_many_services', async () => {
      const store = await makeStore({ maxServices: 2 });
      await store.enqueue(job('a'), anyWorkers);
      const idle = job('b');
      await store.enqueue(idle, anyWorkers);
      await store.giveUp(idle.id, gaveUp.cancelled);
      await store.enqueue(job('c'), anyWorkers);
      const names = (await store.stats()).map((s) => s.service);
      assert.deepEqual(names, ['a', 'c']);
      await assert.rejects(store.enqueue(job('d'), anyWorkers), hasCode(ErrorCode.TooManyServices));
    });
  });
}

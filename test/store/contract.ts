/**
 * The JobStore conformance suite: every store (memory now, Redis later) runs it.
 * Each test names the rule of src/store/job-store.ts it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nanoid } from 'nanoid';
import type { Answer, Job } from '../../src/core/types.js';
import { ErrorCode, type HubError } from '../../src/errors.js';
import type { JobStore } from '../../src/store/job-store.js';
import type { MemoryStoreOptions } from '../../src/store/memory-store.js';
import { jsonPayload } from '../support/config.js';

export type StoreFactory = (options?: Partial<MemoryStoreOptions>) => JobStore;

export const defaultStoreOptions: MemoryStoreOptions = {
  maxQueuedPerService: 100,
  maxServices: 100,
  finishedJobTtlMs: 60_000,
  maxFinishedJobs: 1000,
};

function job(service = 'svc', value: unknown = {}): Job {
  return {
    id: nanoid(),
    service,
    attempt: 1,
    deadline: Date.now() + 60_000,
    payload: jsonPayload(value),
  };
}

function answer(text = 'ok'): Answer {
  return { status: 200, contentType: 'text/plain', headers: {}, body: Buffer.from(text) };
}

const never = new AbortController().signal;

function hasCode(code: string) {
  return (error: unknown) => (error as HubError).code === code;
}

async function serviceStats(store: JobStore, service: string) {
  const stats = (await store.stats()).find((s) => s.service === service);
  assert.ok(stats, `no stats for ${service}`);
  return stats;
}

export function runJobStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`${name} - JobStore contract`, () => {
    test('[P-FIFO] queued jobs are claimed in arrival order', async () => {
      const store = makeStore();
      const jobs = [job(), job(), job()];
      for (const j of jobs) await store.enqueue(j);
      const claimed = [];
      for (let i = 0; i < jobs.length; i++) claimed.push((await store.claim('svc', never))?.id);
      assert.deepEqual(
        claimed,
        jobs.map((j) => j.id),
      );
    });

    test('[P-FIFO] parked claims are served in the order they started waiting', async () => {
      const store = makeStore();
      const first = store.claim('svc', never);
      const second = store.claim('svc', never);
      const a = job();
      const b = job();
      await store.enqueue(a);
      await store.enqueue(b);
      assert.equal((await first)?.id, a.id);
      assert.equal((await second)?.id, b.id);
    });

    test('[P-HANDOFF] a job enqueued while a claim waits goes straight to it, with no timer', async () => {
      const store = makeStore();
      const claim = store.claim('svc', never);
      const j = job();
      await store.enqueue(j);
      // Resolved before any timer phase: a race against an immediate must see the job.
      const winner = await Promise.race([
        claim,
        new Promise((resolve) => setImmediate(() => resolve('timer'))),
      ]);
      assert.equal((winner as Job).id, j.id);
      assert.equal((await serviceStats(store, 'svc')).queued, 0);
    });

    test('[P-POLL-GONE] an aborted claim is removed and never handed a job', async () => {
      const store = makeStore();
      const controller = new AbortController();
      const gone = store.claim('svc', controller.signal);
      controller.abort();
      assert.equal(await gone, undefined);
      assert.equal((await serviceStats(store, 'svc')).waitingWorkers, 0);
      const j = job();
      await store.enqueue(j);
      assert.equal((await serviceStats(store, 'svc')).queued, 1);
      assert.equal((await store.claim('svc', never))?.id, j.id);
    });

    test('a claim with an already aborted signal resolves undefined and takes nothing', async () => {
      const store = makeStore();
      await store.enqueue(job());
      const controller = new AbortController();
      controller.abort();
      assert.equal(await store.claim('svc', controller.signal), undefined);
      assert.equal((await serviceStats(store, 'svc')).queued, 1);
    });

    test('[P-LIMITS] enqueue beyond maxQueuedPerService throws queue_full and counts a rejection', async () => {
      const store = makeStore({ maxQueuedPerService: 2 });
      await store.enqueue(job());
      await store.enqueue(job());
      await assert.rejects(store.enqueue(job()), hasCode(ErrorCode.QueueFull));
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 2);
      assert.equal(stats.rejected, 1);
    });

    test('[P-LIMITS] a job handed straight to a waiting claim does not count against a full queue', async () => {
      const store = makeStore({ maxQueuedPerService: 1 });
      await store.enqueue(job('other'));
      const claim = store.claim('svc', never);
      await store.enqueue(job());
      assert.ok(await claim);
    });

    test('[P-ANSWER] an answer reaches the ticket byte for byte', async () => {
      const store = makeStore();
      const j = job();
      const ticket = await store.enqueue(j);
      await store.claim('svc', never);
      const sent = answer('hello');
      await store.answer(j.id, sent);
      assert.deepEqual(await ticket.answer, sent);
    });

    test('[P-ANSWER-ONCE] a second answer gets already_answered and changes nothing', async () => {
      const store = makeStore();
      const j = job();
      const ticket = await store.enqueue(j);
      await store.claim('svc', never);
      await store.answer(j.id, answer('first'));
      await assert.rejects(
        store.answer(j.id, answer('second')),
        hasCode(ErrorCode.AlreadyAnswered),
      );
      assert.equal(Buffer.from((await ticket.answer).body).toString(), 'first');
      assert.equal((await serviceStats(store, 'svc')).answered, 1);
    });

    test('[P-ANSWER] an unknown job id gets unknown_job', async () => {
      const store = makeStore();
      await assert.rejects(store.answer('nope', answer()), hasCode(ErrorCode.UnknownJob));
    });

    test('[P-CALLER-GONE-QUEUED] giving up on a queued job withdraws it: no worker ever sees it', async () => {
      const store = makeStore();
      const j = job();
      const later = job();
      await store.enqueue(j);
      await store.enqueue(later);
      assert.equal(await store.giveUp(j.id, 'cancelled'), 'withdrawn');
      assert.equal((await store.claim('svc', never))?.id, later.id);
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.queued, 0);
      assert.equal(stats.cancelled, 1);
    });

    test('[P-CALLER-GONE-IN-FLIGHT] giving up on an in-flight job makes its answer caller_gone', async () => {
      const store = makeStore();
      const j = job();
      await store.enqueue(j);
      await store.claim('svc', never);
      assert.equal(await store.giveUp(j.id, 'timeout'), 'abandoned');
      await assert.rejects(store.answer(j.id, answer()), hasCode(ErrorCode.CallerGone));
      const stats = await serviceStats(store, 'svc');
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.timedOut, 1);
    });

    test('giving up after the answer arrived reports answered, so the caller takes it', async () => {
      const store = makeStore();
      const j = job();
      await store.enqueue(j);
      await store.claim('svc', never);
      await store.answer(j.id, answer());
      assert.equal(await store.giveUp(j.id, 'timeout'), 'answered');
    });

    test('[P-POLL-GONE] release puts an in-flight job back at the head of its queue', async () => {
      const store = makeStore();
      const first = job();
      const second = job();
      await store.enqueue(first);
      await store.enqueue(second);
      await store.claim('svc', never);
      assert.equal(await store.release(first.id), true);
      assert.equal((await store.claim('svc', never))?.id, first.id);
      assert.equal(await store.release('unknown'), false);
    });

    test('release hands the job to a waiting claim at once', async () => {
      const store = makeStore();
      const j = job();
      await store.enqueue(j);
      await store.claim('svc', never);
      const waiting = store.claim('svc', never);
      await store.release(j.id);
      assert.equal((await waiting)?.id, j.id);
      assert.equal((await serviceStats(store, 'svc')).inFlight, 1);
    });

    test('[P-SHUTDOWN] withdrawQueued withdraws queued jobs only', async () => {
      const store = makeStore();
      const held = job();
      const queued = job();
      await store.enqueue(held);
      await store.claim('svc', never);
      await store.enqueue(queued);
      assert.equal(await store.withdrawQueued(held.id), false);
      assert.equal(await store.withdrawQueued(queued.id), true);
      const stats = await serviceStats(store, 'svc');
      assert.deepEqual([stats.queued, stats.inFlight, stats.rejected], [0, 1, 1]);
    });

    test('[P-STATUS] stats count calls, answers and live jobs per service', async () => {
      const store = makeStore();
      const a = job('a');
      await store.enqueue(a);
      await store.enqueue(job('a'));
      await store.enqueue(job('b'));
      await store.claim('a', never);
      await store.answer(a.id, answer());
      const parked = new AbortController();
      const waiting = store.claim('c', parked.signal);
      const byService = Object.fromEntries((await store.stats()).map((s) => [s.service, s]));
      assert.equal(byService.a?.calls, 2);
      assert.equal(byService.a?.answered, 1);
      assert.equal(byService.a?.queued, 1);
      assert.equal(byService.b?.queued, 1);
      assert.equal(byService.c?.waitingWorkers, 1);
      parked.abort();
      await waiting;
    });

    test('[P-LIMITS] at maxServices an idle service is forgotten; if none is idle, too_many_services', async () => {
      const store = makeStore({ maxServices: 2 });
      await store.enqueue(job('a'));
      const idle = job('b');
      await store.enqueue(idle);
      await store.giveUp(idle.id, 'cancelled');
      await store.enqueue(job('c'));
      const names = (await store.stats()).map((s) => s.service);
      assert.deepEqual(names, ['a', 'c']);
      await assert.rejects(store.enqueue(job('d')), hasCode(ErrorCode.TooManyServices));
    });
  });
}

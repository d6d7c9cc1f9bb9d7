/** Leases, redelivery, failure reports, no-responders and queue timeouts, in the core. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Hub } from '../../src/core/hub.js';
import type { Answer, Delivery } from '../../src/domain/job.js';
import { ErrorCode } from '../../src/errors.js';
import { mockClock } from '../support/clock.js';
import { jsonPayload, testHub } from '../support/config.js';
import { hasCode } from '../support/errors.js';

const ok: Answer = { status: 200, contentType: 'text/plain', headers: {}, body: Buffer.from('ok') };

async function taken(hub: Hub, service = 'svc', timeoutMs = 1000): Promise<Delivery> {
  const delivery = await hub.take({ service, timeoutMs });
  assert.ok(delivery, `no job of ${service} was taken`);
  return delivery;
}

function call(hub: Hub, options: { maxAttempts?: number; timeoutMs?: number } = {}) {
  return hub.call({ service: 'svc', payload: jsonPayload(1), ...options });
}

describe('leases and redelivery', () => {
  test('[P-LEASE] a job whose lease expires goes to the next worker as attempt 2 with a new id', async (t) => {
    const tick = mockClock(t);
    const hub = testHub({ leaseMs: 30 });
    const pending = call(hub);
    const first = await taken(hub);
    assert.equal(first.attempt, 1);
    assert.equal(first.leaseMs, 30);
    // Nothing from the first worker: the lease runs out and the job is handed out again.
    const next = taken(hub);
    tick(30);
    const second = await next;
    assert.equal(second.attempt, 2);
    assert.notEqual(second.id, first.id);
    assert.equal(second.job.id, first.job.id);
    await hub.answer(second.id, ok);
    assert.deepEqual(await pending, ok);
    assert.equal((await hub.status()).total.redelivered, 1);
  });

  test('[P-LATE-ANSWER] an answer from an earlier attempt gets lease_lost and never reaches the caller', async (t) => {
    const tick = mockClock(t);
    const hub = testHub({ leaseMs: 30 });
    const pending = call(hub);
    const first = await taken(hub);
    const next = taken(hub);
    tick(30);
    const second = await next;
    await assert.rejects(
      hub.answer(first.id, { ...ok, body: Buffer.from('late') }),
      hasCode(ErrorCode.LeaseLost),
    );
    await hub.answer(second.id, ok);
    assert.deepEqual(await pending, ok);
    await assert.rejects(hub.answer(first.id, ok), hasCode(ErrorCode.LeaseLost));
    await assert.rejects(hub.answer(second.id, ok), hasCode(ErrorCode.AlreadyAnswered));
  });

  test('[P-LEASE] a redelivered job goes to the head of its queue', async (t) => {
    const tick = mockClock(t);
    const hub = testHub({ leaseMs: 30 });
    const a = call(hub);
    const first = await taken(hub);
    const b = call(hub);
    tick(30);
    const next = await taken(hub);
    assert.equal(next.job.id, first.job.id, 'the redelivered job comes before the newer one');
    await hub.answer(next.id, ok);
    await hub.answer((await taken(hub)).id, ok);
    await Promise.all([a, b]);
  });

  test('[P-HEARTBEAT] heartbeats keep a job past its lease; the answer of the same attempt counts', async (t) => {
    const tick = mockClock(t);
    const hub = testHub({ leaseMs: 40 });
    const pending = call(hub);
    const delivery = await taken(hub);
    // 180 ms in all, four and a half leases, each heartbeat within the lease before it.
    for (let i = 0; i < 6; i++) {
      tick(30);
      assert.equal(await hub.heartbeat(delivery.id), Date.now() + 40);
    }
    const shortPoll = hub.take({ service: 'svc', timeoutMs: 0 });
    tick(1);
    assert.equal(await shortPoll, undefined, 'not handed out again');
    await hub.answer(delivery.id, ok);
    assert.deepEqual(await pending, ok);
    assert.equal((await hub.status()).total.redelivered, 0);
  });

  test('[P-HEARTBEAT] a heartbeat for a job whose caller left gets caller_gone', async () => {
    const hub = testHub({ leaseMs: 1000 });
    const gone = call(hub, { timeoutMs: 30 });
    const delivery = await taken(hub);
    await assert.rejects(gone, hasCode(ErrorCode.Timeout));
    await assert.rejects(hub.heartbeat(delivery.id), hasCode(ErrorCode.CallerGone));
  });

  test('[P-HEARTBEAT] a heartbeat for a lost lease gets lease_lost; for an unknown id, unknown_job', async () => {
    const hub = testHub({ leaseMs: 30 });
    const pending = call(hub);
    const first = await taken(hub);
    const second = await taken(hub);
    await assert.rejects(hub.heartbeat(first.id), hasCode(ErrorCode.LeaseLost));
    await hub.answer(second.id, ok);
    await pending;
    await assert.rejects(hub.heartbeat('no-such-delivery'), hasCode(ErrorCode.UnknownJob));
  });

  test('[P-ATTEMPTS] when attempts run out the caller gets worker_failed at once, not a timeout', async () => {
    const hub = testHub({ leaseMs: 20, maxAttempts: 2 });
    const pending = call(hub, { timeoutMs: 5000 });
    const started = Date.now();
    await taken(hub);
    await taken(hub);
    await assert.rejects(pending, hasCode(ErrorCode.WorkerFailed, /lease/));
    assert.ok(Date.now() - started < 2000, 'well before the 5 s deadline');
    assert.equal((await hub.status()).total.failed, 1);
  });

  test('[P-ATTEMPTS] Hub-Max-Attempts: 1 means a lost lease fails the call instead of repeating the work', async () => {
    const hub = testHub({ leaseMs: 20 });
    const pending = call(hub, { maxAttempts: 1 });
    await taken(hub);
    await assert.rejects(pending, hasCode(ErrorCode.WorkerFailed));
    assert.equal(await hub.take({ service: 'svc', timeoutMs: 0 }), undefined);
  });

  test('[P-ATTEMPTS] a max-attempts outside 1..HUB_MAX_ATTEMPTS is invalid_header', async () => {
    const hub = testHub({ maxAttempts: 3 });
    for (const maxAttempts of [0, 4, 1.5]) {
      await assert.rejects(call(hub, { maxAttempts }), hasCode(ErrorCode.InvalidHeader));
    }
  });
});

describe('failure reports', () => {
  test('[P-FAIL] a failure with retry hands the job to the next worker as the next attempt', async () => {
    const hub = testHub();
    const pending = call(hub);
    const first = await taken(hub);
    assert.equal(await hub.fail(first.id, { message: 'busy', retry: true }), 'retrying');
    const second = await taken(hub);
    assert.equal(second.attempt, 2);
    await assert.rejects(hub.answer(first.id, ok), hasCode(ErrorCode.LeaseLost));
    await hub.answer(second.id, ok);
    assert.deepEqual(await pending, ok);
  });

  test('[P-FAIL] a failure without retry, or with no attempts left, is worker_failed with the message', async () => {
    const hub = testHub({ maxAttempts: 2 });
    const once = call(hub);
    assert.equal(
      await hub.fail((await taken(hub)).id, { message: 'bad input', retry: false }),
      'failed',
    );
    await assert.rejects(once, hasCode(ErrorCode.WorkerFailed, /^bad input$/));

    const twice = call(hub);
    await hub.fail((await taken(hub)).id, { message: 'flaky', retry: true });
    const last = await taken(hub);
    assert.equal(await hub.fail(last.id, { message: 'still flaky', retry: true }), 'failed');
    await assert.rejects(twice, hasCode(ErrorCode.WorkerFailed, /still flaky/));
    await assert.rejects(hub.answer(last.id, ok), hasCode(ErrorCode.LeaseLost));
  });
});

describe('no-responders and queue timeouts', () => {
  test('[P-NO-WORKERS] a call to a service no worker has been seen for gets no_workers at once', async (t) => {
    const tick = mockClock(t);
    const hub = testHub({ noWorkersMs: 40 });
    await assert.rejects(call(hub), hasCode(ErrorCode.NoWorkers, /since the hub started/));
    // A poll (even one that ends empty) shows a worker is there. Its zero wait is a
    // timer too, on this clock.
    const empty = hub.take({ service: 'svc', timeoutMs: 0 });
    tick(0);
    assert.equal(await empty, undefined);
    const parked = call(hub);
    await hub.answer((await taken(hub)).id, ok);
    await parked;
    tick(41);
    await assert.rejects(call(hub), hasCode(ErrorCode.NoWorkers, /has been seen for 41 ms/));
  });

  test('[P-NO-WORKERS] a parked worker or a held job counts as a worker; queue-anyway parks without one', async (t) => {
    // Each step moves past the 1 ms window: only a parked poll or a held job is a worker then.
    const tick = mockClock(t);
    const hub = testHub({ noWorkersMs: 1 });
    const parkedPoll = hub.take({ service: 'svc', timeoutMs: 1000 });
    // Parked once its first look in the store comes back empty.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(hub.parked.polls, 1);
    tick(5);
    const first = call(hub);
    const delivery = await parkedPoll;
    assert.ok(delivery);
    tick(5);
    const second = call(hub); // the worker holding the first job counts
    await hub.answer(delivery.id, ok);
    await hub.answer((await taken(hub)).id, ok);
    await Promise.all([first, second]);

    tick(5);
    const queued = hub.call({
      service: 'other',
      payload: jsonPayload(1),
      queueWithoutWorkers: true,
    });
    await hub.answer((await taken(hub, 'other')).id, ok);
    assert.deepEqual(await queued, ok);
  });

  test('[P-NO-WORKERS] input is validated first: a malformed call gets its 400 even with no worker', async () => {
    const hub = testHub({ noWorkersMs: 1000 });
    await assert.rejects(
      hub.call({ service: 'svc', payload: jsonPayload(1), timeoutMs: 0 }),
      hasCode(ErrorCode.InvalidTimeout),
    );
    await assert.rejects(
      hub.call({ service: '-bad', payload: jsonPayload(1) }),
      hasCode(ErrorCode.InvalidServiceName),
    );
  });

  test('[P-QUEUE-TIMEOUT] a job no worker takes within its queue timeout ends in queue_timeout', async () => {
    const hub = testHub();
    await assert.rejects(
      hub.call({ service: 'svc', payload: jsonPayload(1), queueTimeoutMs: 20, timeoutMs: 2000 }),
      hasCode(ErrorCode.QueueTimeout),
    );
    assert.equal(await hub.take({ service: 'svc', timeoutMs: 0 }), undefined, 'withdrawn');
    await assert.rejects(
      hub.call({ service: 'svc', payload: jsonPayload(1), queueTimeoutMs: 3000, timeoutMs: 2000 }),
      hasCode(ErrorCode.InvalidTimeout),
    );
  });

  test('[P-QUEUE-TIMEOUT] once taken, the queue timeout no longer applies; the job says how long remains', async (t) => {
    const tick = mockClock(t);
    const hub = testHub();
    const pending = hub.call({
      service: 'svc',
      payload: jsonPayload(1),
      queueTimeoutMs: 20,
      timeoutMs: 1000,
    });
    const delivery = await taken(hub);
    tick(40);
    await hub.answer(delivery.id, ok);
    assert.deepEqual(await pending, ok);
  });
});

describe('GET /services figures', () => {
  test('[P-SERVICES] services list queue depth, the oldest wait, in-flight jobs and the workers seen', async (t) => {
    const tick = mockClock(t);
    const hub = testHub();
    const a = call(hub);
    const held = await hub.take({ service: 'svc', timeoutMs: 1000, workerId: 'w-1' });
    assert.ok(held);
    const b = call(hub);
    tick(15);
    const [svc] = await hub.services();
    assert.ok(svc);
    assert.equal(svc.service, 'svc');
    assert.equal(svc.queued, 1);
    assert.equal(svc.inFlight, 1);
    assert.equal(svc.oldestQueuedMs, 15);
    assert.deepEqual(
      svc.workers.map((w) => [w.id, w.inFlight]),
      [['w-1', 1]],
    );
    await hub.answer(held.id, ok);
    await hub.answer((await taken(hub)).id, ok);
    await Promise.all([a, b]);
    const [after] = await hub.services();
    assert.deepEqual(
      [after?.queued, after?.oldestQueuedMs, after?.workers[0]?.inFlight],
      [0, 0, 0],
    );
  });
});

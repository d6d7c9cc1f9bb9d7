import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkWaiters } from '../../src/core/work-waiters.js';
import { Cancel } from '../../src/domain/cancel.js';

test('[P-FIFO] WorkWaiters - the first take looks at once; later ones wait their turn, oldest woken first', async () => {
  const waiters = new WorkWaiters();
  const never = new Cancel();
  const first = waiters.park('svc');
  const second = waiters.park('svc');
  const third = waiters.park('svc');
  assert.equal(await first.woken(never), true, 'first in line: looks before any notice');
  // It found a job and leaves, as a take does.
  first.leave();
  const order: string[] = [];
  void second.woken(never).then(() => order.push('second'));
  void third.woken(never).then(() => order.push('third'));
  waiters.notify('svc');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['second']);
  second.leave();
  waiters.notify('svc');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['second', 'third']);
  third.leave();
  assert.equal(waiters.count('svc'), 0);
});

test('[P-HANDOFF] WorkWaiters - a take that leaves with a wake-up it did not use hands it on', async () => {
  const waiters = new WorkWaiters();
  const never = new Cancel();
  const first = waiters.park('svc');
  const second = waiters.park('svc');
  assert.equal(await first.woken(never), true);
  // Two jobs come while the first looks: it takes one, and is told again.
  waiters.notify('svc');
  waiters.notify('svc');
  let secondWoken = false;
  void second.woken(never).then((woken) => {
    secondWoken = woken;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(secondWoken, true, 'the second notice went to the second take');
  // The first leaves while awake (told a third time): its notice is not lost.
  waiters.notify('svc');
  const third = waiters.park('svc');
  first.leave();
  second.leave();
  assert.equal(await third.woken(never), true);
  third.leave();
});

test('WorkWaiters - a take whose signal aborts stops waiting, unwoken', async () => {
  const waiters = new WorkWaiters();
  const first = waiters.park('svc');
  const second = waiters.park('svc');
  const signal = new Cancel();
  const waiting = second.woken(signal);
  signal.abort();
  assert.equal(await waiting, false);
  second.leave();
  first.leave();
  assert.equal(waiters.count('svc'), 0);
});

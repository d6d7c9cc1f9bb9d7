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

test('[P-HANDOFF] WorkWaiters - a notice that comes while every take is looking is kept for the next look', async () => {
  // A networked store: a look is a round trip, and a job queued during it
  // (by another replica) may be missed by it. Its notice must not be lost.
  const waiters = new WorkWaiters();
  const never = new Cancel();
  const only = waiters.park('svc');
  assert.equal(await only.woken(never), true, 'looks at once');
  waiters.notify('svc');
  // Its look found nothing (it ran before the job was queued): it must look again.
  const again = await Promise.race([
    only.woken(never),
    new Promise<string>((resolve) => setImmediate(() => resolve('asleep'))),
  ]);
  assert.equal(again, true, 'the notice that came mid-look makes it look again');
  // A take parking behind a look that was told twice looks too.
  const looking = waiters.park('svc');
  waiters.notify('svc');
  waiters.notify('svc');
  assert.equal(await looking.woken(never), true);
  looking.leave();
  only.leave();
  assert.equal(waiters.count('svc'), 0);
});

test('[P-HANDOFF] WorkWaiters - a notice that finds every take already told is kept, not lost', async () => {
  // Across replicas, notices come faster than looks: three jobs, two takes.
  const waiters = new WorkWaiters();
  const never = new Cancel();
  const first = waiters.park('svc');
  const second = waiters.park('svc');
  assert.equal(await first.woken(never), true);
  waiters.notify('svc');
  waiters.notify('svc');
  waiters.notify('svc');
  assert.equal(await second.woken(never), true);
  assert.equal(await first.woken(never), true);
  // A third take parks while the two are still looking; each takes one job and leaves.
  const third = waiters.park('svc');
  first.leave();
  second.leave();
  const looked = await Promise.race([
    third.woken(never),
    new Promise<string>((resolve) => setImmediate(() => resolve('asleep'))),
  ]);
  assert.equal(looked, true, 'the third notice reaches the third take');
  third.leave();
  assert.equal(waiters.count('svc'), 0);
});

test('[P-STORE-DOWN] WorkWaiters - wakeAll wakes every parked take of every service', async () => {
  const waiters = new WorkWaiters();
  const never = new Cancel();
  const takes = [waiters.park('a'), waiters.park('a'), waiters.park('b')];
  // Each first in line looks at once; the one behind it waits.
  assert.equal(await takes[0]?.woken(never), true);
  assert.equal(await takes[2]?.woken(never), true);
  const woken: boolean[] = [];
  const all = takes.map((take) => take?.woken(never).then((looks) => woken.push(looks)));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(woken, [], 'nobody looks again before a notice');
  waiters.wakeAll();
  await Promise.all(all);
  assert.deepEqual(woken, [true, true, true]);
});

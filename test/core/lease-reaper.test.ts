import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseReaper } from '../../src/core/lease-reaper.js';
import { mockClock } from '../support/clock.js';

/** A store's reapExpired as the reaper sees it: each call recorded, the next end it says. */
function fakeStore(nextEnds: (number | undefined)[]) {
  const calls: number[] = [];
  return {
    calls,
    reap: async (now: number) => {
      calls.push(now);
      return nextEnds.shift();
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('[P-LEASE] LeaseReaper - reaps when a lease may end, then when the store says the next one does', async (t) => {
  const tick = mockClock(t);
  const store = fakeStore([1_000_050, undefined]);
  const reaper = new LeaseReaper(store.reap);
  reaper.expectBy(1_000_030);
  // A later lease while armed changes nothing: leases last one length.
  reaper.expectBy(1_000_040);
  tick(29);
  assert.deepEqual(store.calls, []);
  tick(1);
  assert.deepEqual(store.calls, [1_000_030]);
  await settle();
  tick(20);
  assert.deepEqual(store.calls, [1_000_030, 1_000_050], 'the next end the store named');
  await settle();
  tick(1000);
  assert.equal(store.calls.length, 2, 'no lease held: no timer');
  reaper.close();
});

test('LeaseReaper - an earlier end re-arms it; close() stops it', (t) => {
  const tick = mockClock(t);
  const store = fakeStore([]);
  const reaper = new LeaseReaper(store.reap);
  reaper.expectBy(1_000_100);
  reaper.expectBy(1_000_010);
  tick(10);
  assert.deepEqual(store.calls, [1_000_010]);
  reaper.expectBy(1_000_020);
  reaper.close();
  tick(100);
  assert.deepEqual(store.calls, [1_000_010]);
});

test('LeaseReaper - a reap that fails is tried again, not dropped', async (t) => {
  const tick = mockClock(t);
  let failures = 1;
  const calls: number[] = [];
  const reaper = new LeaseReaper(async (now) => {
    calls.push(now);
    if (failures-- > 0) throw new Error('store unreachable');
    return undefined;
  });
  reaper.expectBy(1_000_000);
  tick(0);
  await settle();
  tick(1000);
  assert.equal(calls.length, 2);
  reaper.close();
});

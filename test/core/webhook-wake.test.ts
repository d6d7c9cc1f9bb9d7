/**
 * A webhook's deliverer sleeps when it has nothing to send and is woken by a
 * message or a replay. A wake that comes while it is not yet asleep (between
 * its look at the store and its sleep) must not be lost: it would hold the
 * delivery back until the next lease renewal, seconds later.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Delivering } from '../../src/core/webhooks.js';

/** Which settles first: `promise`, or `ms` milliseconds. */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => 'woke'),
    new Promise((resolve) => setTimeout(() => resolve('slept on'), ms)),
  ]);

test('[P-WEBHOOK-RETRY] a wake before the deliverer sleeps ends its next sleep at once, once', async () => {
  const delivering = new Delivering('orders');
  delivering.wake();
  assert.equal(await within(delivering.sleep(60_000), 500), 'woke');
  // Spent: the sleep after it waits again until woken.
  const next = delivering.sleep(60_000);
  assert.equal(await within(next, 50), 'slept on');
  delivering.wake();
  assert.equal(await within(next, 500), 'woke');
  delivering.stop();
});

test('[P-WEBHOOK-RETRY] stop() ends a sleep, and every sleep after it, with false', async () => {
  const delivering = new Delivering('orders');
  const sleeping = delivering.sleep(60_000);
  delivering.stop();
  assert.equal(await sleeping, false);
  assert.equal(await delivering.sleep(60_000), false);
});

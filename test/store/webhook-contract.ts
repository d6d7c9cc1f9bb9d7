/**
 * The WebhookStore conformance suite (src/store/webhook-store.ts), run against
 * every store through the job store's factory, two Redis stores at once included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { NewWebhook } from '../../src/store/webhook-store.js';
import { hasCode } from '../support/errors.js';
import { HeardFeed, type StoreFactory } from './contract.js';

const T0 = 1_000_000;
const hook = (topic: string, address = 'https://example.com/a'): NewWebhook => ({
  topic,
  address,
  format: 'raw',
  secret: 'whsec_c2VjcmV0',
  after: -1,
});

export function runWebhookStoreContract(name: string, factory: StoreFactory): void {
  /** A store connected and subscribed, as a hub opens it. */
  const makeStore = async () => {
    const store = await factory();
    await store.subscribe(new HeardFeed());
    return store;
  };
  describe(`${name} - WebhookStore contract`, () => {
    test('[P-WEBHOOK-RETRY] the same topic and address is the same webhook; unregistering removes it', async () => {
      const store = await makeStore();
      const { webhooks } = store;
      const first = await webhooks.register(hook('a'), T0);
      const again = await webhooks.register({ ...hook('a'), secret: 'whsec_b3RoZXI=' }, T0 + 1);
      assert.equal(again.id, first.id);
      assert.equal(again.secret, first.secret);
      const other = await webhooks.register(hook('a', 'https://example.com/b'), T0 + 2);
      assert.notEqual(other.id, first.id);
      assert.deepEqual(
        (await webhooks.list()).map((w) => w.id),
        [first.id, other.id],
      );
      assert.equal(await webhooks.unregister('a', 'https://example.com/a'), true);
      assert.equal(await webhooks.unregister('a', 'https://example.com/a'), false);
      assert.equal(await webhooks.get(first.id), undefined);
      await store.close();
    });

    test('[P-WEBHOOK-RETRY] a position only moves up', async () => {
      const store = await makeStore();
      const { id } = await store.webhooks.register(hook('b'), T0);
      await store.webhooks.advance(id, 3);
      await store.webhooks.advance(id, 1);
      assert.equal((await store.webhooks.get(id))?.after, 3);
      await store.close();
    });

    test('[P-WEBHOOK-DEAD] dead letters move the position past them, are bounded, and replay moves them to replays', async () => {
      const store = await makeStore();
      const { id } = await store.webhooks.register(hook('c'), T0);
      for (const messageId of [0, 1, 2, 3]) {
        await store.webhooks.deadLetter(id, { messageId, attempts: 3, error: 'boom', at: T0 });
      }
      // maxDeadLetters is 3 in the suite's options: the oldest went.
      assert.deepEqual(
        (await store.webhooks.deadLetters(id)).map((l) => l.messageId),
        [1, 2, 3],
      );
      assert.equal((await store.webhooks.get(id))?.after, 3);
      assert.equal(await store.webhooks.replay(id), 3);
      assert.deepEqual(await store.webhooks.deadLetters(id), []);
      assert.deepEqual((await store.webhooks.get(id))?.replays, [1, 2, 3]);
      await store.webhooks.replayed(id, 2);
      assert.deepEqual((await store.webhooks.get(id))?.replays, [1, 3]);
      await store.close();
    });

    test('[P-WEBHOOK-DEAD] dead letters are counted per webhook without being read', async () => {
      const store = await makeStore();
      const failing = await store.webhooks.register(hook('counts'), T0);
      const quiet = await store.webhooks.register(hook('counts', 'https://example.com/q'), T0);
      const other = await store.webhooks.register(hook('counts', 'https://example.com/o'), T0);
      for (const messageId of [0, 1, 2, 3]) {
        await store.webhooks.deadLetter(failing.id, { messageId, attempts: 3, error: 'x', at: T0 });
      }
      await store.webhooks.deadLetter(other.id, { messageId: 7, attempts: 1, error: 'x', at: T0 });
      // Those that keep none are left out; the bound (3 in the suite) holds in the count.
      assert.deepEqual(await store.webhooks.deadLetterCounts(), {
        [failing.id]: 3,
        [other.id]: 1,
      });
      await store.webhooks.replay(failing.id);
      assert.deepEqual(await store.webhooks.deadLetterCounts(), { [other.id]: 1 });
      assert.equal((await store.webhooks.deadLetterCounts())[quiet.id], undefined);
      await store.close();
    });

    test('[P-WEBHOOK-RETRY] at most maxWebhooks: one more is too_many_webhooks', async () => {
      const store = await makeStore();
      for (let i = 0; i < 5; i++) await store.webhooks.register(hook(`t${i}`), T0);
      await assert.rejects(
        store.webhooks.register(hook('t9'), T0),
        hasCode(ErrorCode.TooManyWebhooks),
      );
      await store.close();
    });

    test('[P-DANKETSU] fires are counted per event for a day', async () => {
      const store = await makeStore();
      const now = Date.now();
      await store.webhooks.recordFire('x', now - 2 * 60_000);
      await store.webhooks.recordFire('x', now);
      await store.webhooks.recordFire('y', now);
      assert.deepEqual(await store.webhooks.fires(now - 24 * 3600_000, now), { x: 2, y: 1 });
      assert.deepEqual(await store.webhooks.fires(now - 60_000, now), { x: 1, y: 1 });
      await store.close();
    });
  });

  describe(`${name} - WebhookStore contract, two stores on one backend`, () => {
    const twin = factory.twin;
    const skip = twin ? false : 'the store has no twin (it keeps its data in its process)';
    test("[P-WEBHOOK-RETRY] one replica at a time holds a webhook's delivery lease", {
      skip,
    }, async () => {
      const a = await makeStore();
      const b = await (twin as NonNullable<StoreFactory['twin']>)(a);
      await b.subscribe(new HeardFeed());
      const { id } = await a.webhooks.register(hook('leased'), T0);
      const now = Date.now();
      const [first, second] = await Promise.all([
        a.webhooks.lease(id, 'replica-a', now, 10_000),
        b.webhooks.lease(id, 'replica-b', now, 10_000),
      ]);
      assert.equal(Number(first) + Number(second), 1, 'exactly one got it');
      const holder = first ? a : b;
      const name = first ? 'replica-a' : 'replica-b';
      assert.equal(await holder.webhooks.lease(id, name, now, 10_000), true, 'renewed');
      await b.close();
      await a.close();
    });
  });
}

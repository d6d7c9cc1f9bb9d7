/**
 * The TopicStore conformance suite (src/store/topic-store.ts): every store runs
 * it through the job store's factory, which names no store. Each test names
 * the rule of docs/events.md it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TopicRetention } from '../../src/domain/topic.js';
import { ErrorCode } from '../../src/errors.js';
import type { StoreOptions } from '../../src/store/job-store.js';
import { hasCode } from '../support/errors.js';
import { defaultStoreOptions, HeardFeed, type StoreFactory, until } from './contract.js';

const T0 = 1_000_000;
const text = (body: Uint8Array) => Buffer.from(body).toString();
const bytes = (value: string) => new TextEncoder().encode(value);
const retention = (over: Partial<TopicRetention>): TopicRetention => ({
  ...defaultStoreOptions.topics.retention,
  ...over,
});

export function runTopicStoreContract(name: string, makeStore: StoreFactory): void {
  async function open(options?: Partial<StoreOptions>) {
    const store = await makeStore(options);
    const heard = new HeardFeed();
    await store.subscribe(heard);
    return { store, topics: store.topics, heard };
  }

  /** Options whose new topics keep `over` of the default retention. */
  const withRetention = (over: Partial<TopicRetention>): Partial<StoreOptions> => ({
    topics: { ...defaultStoreOptions.topics, retention: retention(over) },
  });

  describe(`${name} - TopicStore contract`, () => {
    test('[P-TOPIC-ORDER] ids count from 0 per topic in publish order, and the feed hears each in order', async () => {
      const { store, topics, heard } = await open();
      for (const body of ['a', 'b', 'c']) await topics.publish('orders', bytes(body), T0);
      const other = await topics.publish('other', bytes('x'), T0);
      assert.equal(other.id, 0);
      const read = await topics.read('orders', -1, 10, T0);
      assert.deepEqual(
        read.messages.map((m) => [m.id, text(m.body), m.publishedAt]),
        [
          [0, 'a', T0],
          [1, 'b', T0],
          [2, 'c', T0],
        ],
      );
      assert.equal(read.seq, 3);
      await until(() => heard.messagesHeard.length === 4, 'every publish heard');
      assert.deepEqual(
        heard.messagesHeard.filter((m) => m.startsWith('orders')),
        ['orders#0', 'orders#1', 'orders#2'],
      );
      await store.close();
    });

    test('[P-TOPIC-QUEUE] a pull hands out the oldest message no pull has had, once; a read never consumes', async () => {
      const { store, topics } = await open();
      await topics.publish('jobs', bytes('first'), T0);
      await topics.publish('jobs', bytes('second'), T0);
      const one = await topics.pull('jobs', T0);
      const two = await topics.pull('jobs', T0);
      assert.deepEqual([one?.id, text(one?.body ?? bytes(''))], [0, 'first']);
      assert.equal(two?.id, 1);
      assert.equal(await topics.pull('jobs', T0), undefined);
      // The pulled messages are still kept for cursors and subscribers.
      const read = await topics.read('jobs', 0, 10, T0);
      assert.deepEqual(
        read.messages.map((m) => m.id),
        [1],
      );
      assert.equal((await topics.info('jobs', T0))?.queued, 0);
      await store.close();
    });

    test('[P-TOPIC-NAME] reading, pulling and looking never create a topic', async () => {
      const { store, topics } = await open();
      assert.equal(await topics.pull('nobody', T0), undefined);
      assert.deepEqual(await topics.read('nobody', -1, 5, T0), { messages: [], first: 0, seq: 0 });
      assert.equal(await topics.info('nobody', T0), undefined);
      assert.deepEqual(await topics.list(T0), []);
      await store.close();
    });

    test('[P-TOPIC-RETENTION] a message past its age is never returned, is counted, and ids go on', async () => {
      const { store, topics } = await open(withRetention({ maxAgeMs: 1000 }));
      await topics.publish('ticks', bytes('old'), T0);
      await topics.publish('ticks', bytes('new'), T0 + 600);
      const later = T0 + 1000;
      assert.equal((await topics.pull('ticks', later))?.id, 1);
      const read = await topics.read('ticks', -1, 10, later);
      assert.deepEqual(
        read.messages.map((m) => m.id),
        [1],
      );
      assert.equal(read.first, 1);
      await topics.reapExpired(T0 + 1600);
      const info = await topics.info('ticks', T0 + 1600);
      assert.deepEqual([info?.messages, info?.bytes, info?.seq, info?.expired], [0, 0, 2, 1]);
      assert.equal((await topics.publish('ticks', bytes('next'), T0 + 1600)).id, 2);
      await store.close();
    });

    test("[P-TOPIC-RETENTION] discard 'new': a full topic refuses with topic_full, and what the queue handed out makes room first", async () => {
      const { store, topics } = await open(withRetention({ maxMessages: 2 }));
      await topics.publish('full', bytes('a'), T0);
      await topics.publish('full', bytes('b'), T0);
      await assert.rejects(topics.publish('full', bytes('c'), T0), hasCode(ErrorCode.TopicFull));
      assert.equal((await topics.pull('full', T0))?.id, 0);
      const c = await topics.publish('full', bytes('c'), T0);
      assert.equal(c.id, 2);
      const info = await topics.info('full', T0);
      assert.deepEqual([info?.first, info?.messages, info?.queued, info?.dropped], [1, 2, 2, 0]);
      await store.close();
    });

    test('[P-TOPIC-RETENTION] the byte cap refuses like the count cap', async () => {
      const { store, topics } = await open(withRetention({ maxBytes: 10 }));
      await topics.publish('small', bytes('12345678'), T0);
      await assert.rejects(topics.publish('small', bytes('123'), T0), hasCode(ErrorCode.TopicFull));
      assert.equal((await topics.publish('small', bytes('12'), T0)).id, 1);
      await store.close();
    });

    test("[P-TOPIC-RETENTION] discard 'old': the oldest go, counted as dropped", async () => {
      const { store, topics } = await open(withRetention({ maxMessages: 2, discard: 'old' }));
      for (const body of ['a', 'b', 'c', 'd']) await topics.publish('stream', bytes(body), T0);
      const read = await topics.read('stream', -1, 10, T0);
      assert.deepEqual(
        read.messages.map((m) => text(m.body)),
        ['c', 'd'],
      );
      assert.equal(read.first, 2);
      assert.equal((await topics.info('stream', T0))?.dropped, 2);
      // The queue goes on from the oldest kept.
      assert.equal((await topics.pull('stream', T0))?.id, 2);
      await store.close();
    });

    test('[P-TOPIC-LIMITS] bytes in all topics and the number of topics are bounded: topics_full, too_many_topics', async () => {
      const { store, topics } = await open({
        topics: { maxTopics: 2, maxBytes: 10, retention: retention({}) },
      });
      await topics.publish('one', bytes('12345678'), T0);
      await assert.rejects(topics.publish('two', bytes('123'), T0), hasCode(ErrorCode.TopicsFull));
      await topics.publish('two', bytes('1'), T0);
      await assert.rejects(
        topics.publish('three', bytes('1'), T0),
        hasCode(ErrorCode.TooManyTopics),
      );
      // Deleting a topic gives its bytes and its place back.
      assert.equal(await topics.remove('one'), true);
      await topics.publish('three', bytes('12345678'), T0);
      await store.close();
    });

    test('[P-TOPIC-RETENTION] a topic takes retention of its own, applied at once', async () => {
      const { store, topics } = await open();
      for (const body of ['a', 'b', 'c']) await topics.publish('tuned', bytes(body), T0);
      const info = await topics.configure(
        'tuned',
        retention({ maxMessages: 1, discard: 'old', maxAgeMs: 5000 }),
        T0,
      );
      assert.deepEqual([info.first, info.messages, info.dropped], [2, 1, 2]);
      assert.deepEqual(
        info.retention,
        retention({ maxMessages: 1, discard: 'old', maxAgeMs: 5000 }),
      );
      const created = await topics.configure('fresh', retention({ maxMessages: 7 }), T0);
      assert.deepEqual([created.seq, created.retention.maxMessages], [0, 7]);
      assert.deepEqual(
        (await topics.list(T0)).map((t) => t.name),
        ['fresh', 'tuned'],
      );
      await store.close();
    });

    test('[P-TOPIC-DELETE] remove forgets the topic and its messages, and the feed hears it', async () => {
      const { store, topics, heard } = await open();
      await topics.publish('gone', bytes('a'), T0);
      assert.equal(await topics.remove('gone'), true);
      assert.equal(await topics.remove('gone'), false);
      assert.equal(await topics.info('gone', T0), undefined);
      await until(() => heard.topicsDeleted.length === 1, 'the deletion heard');
      assert.deepEqual(heard.topicsDeleted, ['gone']);
      assert.equal((await topics.publish('gone', bytes('b'), T0)).id, 0);
      await store.close();
    });

    test('[P-TOPIC-QUEUE] bodies are bytes, kept as they came', async () => {
      const { store, topics } = await open();
      const body = new Uint8Array([0, 10, 13, 58, 255, 128, 0]);
      await topics.publish('binary', body, T0);
      assert.deepEqual([...((await topics.pull('binary', T0))?.body ?? [])], [...body]);
      await store.close();
    });
  });

  describe(`${name} - TopicStore contract, two stores on one backend`, () => {
    const twin = makeStore.twin;
    const skip = twin ? false : 'the store has no twin (it keeps its data in its process)';

    test('[P-TOPIC-QUEUE] two replicas pulling at once never get one message twice, and publishing never reuses an id', {
      skip,
    }, async () => {
      const { store: a } = await open();
      const b = await (twin as NonNullable<StoreFactory['twin']>)(a);
      const heardB = new HeardFeed();
      await b.subscribe(heardB);
      const published = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? a : b).topics.publish('race', bytes(`m${i}`), T0),
        ),
      );
      assert.deepEqual(
        published.map((m) => m.id).sort((x, y) => x - y),
        Array.from({ length: 40 }, (_, i) => i),
      );
      const pulls = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).topics.pull('race', T0)),
      );
      const ids = pulls.flatMap((m) => (m ? [m.id] : [])).sort((x, y) => x - y);
      assert.deepEqual(
        ids,
        Array.from({ length: 40 }, (_, i) => i),
      );
      // Each replica hears every publish, whichever made it.
      await until(() => heardB.messagesHeard.length === 40, 'replica B heard all 40');
      await b.close();
      await a.close();
    });
  });
}

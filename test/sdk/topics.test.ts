/**
 * The SDK's topics (docs/events.md): HubClient#publish, #pull, #subscribe, on
 * each store. The subscription resumes after a dropped connection with no gap
 * and no duplicate ([P-TOPIC-RESUME]).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { startServer } from '../../src/http/server.js';
import { HubClient, isHubClientError, type TopicMessage } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { CuttableProxy } from '../support/proxy.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';
import { authTokens, TOKENS } from '../support/tokens.js';

const STORES: { name: string; config: () => Partial<Config>; skip: string | false }[] = [
  { name: 'memory store', config: () => ({}), skip: false },
  {
    name: 'Redis store',
    config: () => ({ store: 'redis', redisUrl: REDIS_URL, redisPrefix: testPrefix() }),
    skip: needsRedis.skip,
  },
];

const text = (message: TopicMessage) => Buffer.from(message.body).toString();

const TRANSPORTS = ['http', 'ws'] as const;

for (const store of STORES)
  for (const transport of TRANSPORTS)
    describe(`HubClient topics (${store.name}, ${transport})`, { skip: store.skip }, () => {
      test('[P-TOPIC-QUEUE] publish resolves the id; pull takes each message once; none is undefined', async (t) => {
        const server = await startServer(testConfig(store.config()));
        t.after(() => server.close());
        const client = new HubClient({ url: server.url, transport });
        t.after(() => client.close());
        assert.equal(await client.publish('jobs', 'text'), 0);
        assert.equal(await client.publish('jobs', { json: true }), 1);
        assert.equal(await client.publish('jobs', new Uint8Array([0, 255])), 2);
        assert.equal(text((await client.pull('jobs')) as TopicMessage), 'text');
        assert.equal(text((await client.pull('jobs')) as TopicMessage), '{"json":true}');
        assert.deepEqual([...((await client.pull('jobs'))?.body ?? [])], [0, 255]);
        assert.equal(await client.pull('jobs'), undefined);
        assert.equal(await client.pull('jobs', { waitMs: 10 }), undefined);
      });

      test('[P-TOPIC-RESUME] subscribe resumes after a dropped connection: every message once, in order', async (t) => {
        const server = await startServer(testConfig(store.config()));
        t.after(() => server.close());
        const proxy = await new CuttableProxy(server.url).listen();
        t.after(() => proxy.close());
        const publisher = new HubClient({ url: server.url });
        const subscriber = new HubClient({ url: proxy.url, transport });
        for (let i = 0; i < 3; i++) await publisher.publish('feed', `m${i}`);
        const got: string[] = [];
        const subscription = subscriber.subscribe(
          'feed',
          (m) => {
            got.push(text(m));
          },
          { from: 'oldest' },
        );
        await until(() => got.length === 3, { what: 'the backlog' });
        proxy.cut();
        for (let i = 3; i < 8; i++) await publisher.publish('feed', `m${i}`);
        await until(() => got.length === 8, { timeoutMs: 10_000, what: 'the rest, after the cut' });
        assert.ok(proxy.connections >= 2, 'it reconnected');
        assert.deepEqual(
          got,
          Array.from({ length: 8 }, (_, i) => `m${i}`),
        );
        assert.equal(subscription.lastId, 7);
        await subscription.stop();
      });

      test('subscribe from an id starts after it; a refused token ends `done` with the error', async (t) => {
        const server = await startServer(testConfig({ ...store.config(), authTokens }));
        t.after(() => server.close());
        const publisher = new HubClient({ url: server.url, token: TOKENS.callerAdd });
        for (let i = 0; i < 4; i++) await publisher.publish('orders', `o${i}`);
        const reader = new HubClient({ url: server.url, token: TOKENS.workerAdd, transport });
        const got: number[] = [];
        const subscription = reader.subscribe('orders', (m) => void got.push(m.id), { from: 1 });
        await until(() => got.length === 2, { what: 'ids 2 and 3' });
        assert.deepEqual(got, [2, 3]);
        await subscription.stop();
        const refused = publisher.subscribe('orders', () => {});
        await assert.rejects(
          refused.done,
          (error) => isHubClientError(error) && error.status === 403,
        );
      });
    });

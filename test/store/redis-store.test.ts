import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';
import {
  defaultStoreOptions,
  HeardFeed,
  runJobStoreContract,
  type StoreFactory,
} from './contract.js';
import { runEventDocStoreContract } from './event-doc-contract.js';
import { runTopicStoreContract } from './topic-contract.js';
import { runWebhookStoreContract } from './webhook-contract.js';

/** Each store a prefix of its own; a twin shares its first's. */
const prefixes = new WeakMap<RedisStore, string>();

const make = (prefix: string, options: Parameters<StoreFactory>[0]) => {
  // No command timeout: some tests mock the clock, and a timer per command would outlive them.
  const store = new RedisStore({
    ...defaultStoreOptions,
    ...options,
    url: REDIS_URL,
    prefix,
    timeoutMs: 0,
  });
  prefixes.set(store, prefix);
  return store;
};

const factory: StoreFactory = (options) => make(testPrefix(), options);
factory.twin = async (of, options) => make(prefixes.get(of as RedisStore) ?? testPrefix(), options);

if (needsRedis.skip) {
  test('RedisStore - JobStore contract', needsRedis, () => {});
} else {
  runJobStoreContract('RedisStore', factory);
  runTopicStoreContract('RedisStore', factory);
  runWebhookStoreContract('RedisStore', factory);
  runEventDocStoreContract('RedisStore', factory);
}

test(
  '[P-STORE-DOWN] RedisStore - closing is not losing Redis: the feed never hears unreachable',
  needsRedis,
  async () => {
    const store = make(testPrefix(), {});
    const heard = new HeardFeed();
    await store.subscribe(heard);
    await store.close();
    // The connections' own close events come after quit() resolves.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(heard.unreachableTimes, 0);
  },
);

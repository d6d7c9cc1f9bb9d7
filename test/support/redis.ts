/**
 * Redis for tests: the URL (REDIS_URL, or the local server), whether it answers,
 * and a key prefix of each test's own, cleaned up after. Without Redis the
 * Redis tests are skipped with one line, unless HUB_REQUIRE_REDIS=1 (CI), which
 * makes a missing Redis a failure instead.
 */
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await answers(REDIS_URL);
if (!available) {
  if (process.env.HUB_REQUIRE_REDIS === '1') {
    throw new Error(`HUB_REQUIRE_REDIS=1, but no Redis answers at ${REDIS_URL}`);
  }
  console.log(`# Redis tests skipped: no Redis answers at ${REDIS_URL}`);
}

/** `{ skip }` for a suite that needs Redis: false when it answers, else why not. */
export const needsRedis = { skip: available ? false : `no Redis at ${REDIS_URL}` } as const;

/** The prefixes this test file used, deleted when it ends. */
const used = new Set<string>();

/** A key prefix of this test's own, its keys deleted when the file's tests end. */
export function testPrefix(): string {
  const prefix = `sbtest-${nanoid(10)}`;
  used.add(prefix);
  return prefix;
}

/** The keys left under a prefix. */
export async function keysOf(prefix: string, url = REDIS_URL): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

after(async () => {
  if (!available || used.size === 0) return;
  const redis = new Redis(REDIS_URL);
  try {
    for (const prefix of used) {
      const keys = await keysOf(prefix);
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
});

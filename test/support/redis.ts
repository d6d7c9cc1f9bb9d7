/**
 * Redis for tests: the URL (REDIS_URL, or the local server), whether it answers,
 * and a key prefix of each test's own, cleaned up after. Without Redis the
 * Redis tests are skipped with one line, unless HUB_REQUIRE_REDIS=1 (CI), which
 * makes a missing Redis a failure instead.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** A redis-server of a test's own, on a free port: for tests that stop and start Redis. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILLs it: Redis gone without a goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port (with nothing kept: no persistence). */
  start(): Promise<void>;
}

/** Whether `redis-server` can be run here; with HUB_REQUIRE_REDIS=1 its absence is a failure. */
export function redisServerSkip(): { skip: string | false } {
  const found = spawnSync('redis-server', ['--version']).status === 0;
  if (found) return { skip: false };
  if (process.env.HUB_REQUIRE_REDIS === '1') {
    throw new Error('HUB_REQUIRE_REDIS=1, but redis-server is not installed');
  }
  return { skip: 'redis-server is not installed' };
}

export async function ownRedis(t: { after(fn: () => unknown): void }): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200 && !(await answers(url)); i++) await sleep(25);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  t.after(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, port, kill, start };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

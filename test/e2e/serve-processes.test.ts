/**
 * `switchboard serve --processes N`: N replicas on one port of one machine,
 * sharing the Redis store. Queue figures are global and agree whichever
 * replica answers; parked figures are labelled with the replica that answered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import type { HubStatus } from '../../src/protocol.js';
import { until } from '../support/http.js';
import { runMain, startHubProcess } from '../support/process.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';

test('serve --processes with the memory store refuses in one line', async () => {
  const run = runMain(['--processes', '2'], { HUB_STORE: 'memory' });
  assert.equal(await run.exited, 2);
  const lines = run.stderr().trim().split('\n');
  assert.equal(lines.length, 1, run.stderr());
  assert.match(lines[0] ?? '', /--processes 2 needs HUB_STORE=redis/);
});

test('[P-REPLICAS] serve --processes 2 runs two replicas on one port, acting as one hub', {
  ...needsRedis,
  timeout: 30_000,
}, async (t) => {
  const hub = await startHubProcess({
    HUB_STORE: 'redis',
    REDIS_URL,
    HUB_REDIS_PREFIX: testPrefix(),
    HUB_PROCESSES: '2',
  });
  t.after(() => {
    if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
  });
  /** A status over a new connection each time: the kernel spreads connections over the replicas. */
  const statusOnce = async (): Promise<HubStatus> => {
    const agent = new Agent({ pipelining: 0 });
    try {
      const res = await request(`${hub.url}/status`, { dispatcher: agent });
      return (await res.body.json()) as HubStatus;
    } finally {
      await agent.close();
    }
  };
  const replicas = new Set<string>();
  await until(
    async () => {
      const status = await statusOnce();
      assert.equal(status.store, 'redis');
      replicas.add(status.replica);
      return replicas.size === 2;
    },
    { what: 'both replicas answering' },
  );

  // A worker seen, then an async call queued through whichever replica: both count it.
  await fetch(`${hub.url}/service/echo/jobs?timeout=0`);
  const queued = await fetch(`${hub.url}/service/echo`, {
    method: 'POST',
    headers: { prefer: 'respond-async' },
    body: 'hi',
  });
  assert.equal(queued.status, 202);
  const seen = new Map<string, number>();
  await until(
    async () => {
      const status = await statusOnce();
      seen.set(status.replica, status.services.find((s) => s.service === 'echo')?.queued ?? -1);
      return seen.size === 2;
    },
    { what: 'a status from each replica' },
  );
  assert.deepEqual([...seen.values()], [1, 1], 'the queue is global: every replica reads it');
  // Each replica's metrics carry its name, so a scraper told only the port still tells them apart.
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  const queuedLine = metrics.split('\n').find((l) => l.startsWith('switchboard_queued_jobs{'));
  assert.match(queuedLine ?? metrics, /replica="[^"]+"/);

  // The queued job is taken, so the prefix is left clean; then a graceful stop.
  const job = await fetch(`${hub.url}/service/echo/jobs?timeout=0`);
  const { id } = (await job.json()) as { id: string };
  await fetch(`${hub.url}/jobs/${id}`, { method: 'POST', body: 'done' });
  hub.child.kill('SIGTERM');
  assert.equal(await hub.exited, 0);
  assert.equal(hub.stdout().match(/switchboard: stopped/g)?.length, 2, 'each replica stopped');
});

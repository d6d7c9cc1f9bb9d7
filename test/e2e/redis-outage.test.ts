/**
 * Redis goes away under a running hub and comes back ([P-STORE-DOWN]): calls,
 * polls and answers fail fast with 503 store_unavailable (no hang), /readyz
 * says not ready, and the hub serves again by itself once Redis is back, with
 * no restart. The test runs a redis-server of its own, on a free port.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { ownRedis, redisServerSkip, testPrefix } from '../support/redis.js';
import { jobOf, WsClient } from '../support/ws.js';

test(
  '[P-STORE-DOWN] with Redis gone the hub fails fast and is not ready; it recovers by itself',
  redisServerSkip(),
  async (t) => {
    const redis = await ownRedis(t);
    const server = await startServer(
      testConfig({ store: 'redis', redisUrl: redis.url, redisPrefix: testPrefix() }),
    );
    t.after(() => server.close());
    const url = server.url;
    const call = (body: string) =>
      fetch(`${url}/service/echo`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
    /** Polls until a job comes: the next job of echo. */
    const takeJob = async () => {
      let found: { id: string } | undefined;
      await until(
        async () => {
          const res = await poll();
          if (res.status === 200) found = (await res.json()) as { id: string };
          return found !== undefined;
        },
        { what: 'a job' },
      );
      assert.ok(found);
      return found;
    };
    const poll = () =>
      fetch(`${url}/service/echo/jobs?timeout=0`, { signal: AbortSignal.timeout(10_000) });

    // Serving: a call is answered.
    const before = call('one');
    const job = await takeJob();
    await fetch(`${url}/jobs/${job.id}`, { method: 'POST', body: 'answered' });
    assert.equal(await (await before).text(), 'answered');

    // Workers parked when Redis goes are told, not left waiting on a hub that cannot hand them anything.
    const parkedPoll = fetch(`${url}/service/echo/jobs?timeout=30000`, {
      signal: AbortSignal.timeout(20_000),
    });
    const socket = await WsClient.open(url);
    t.after(() => socket.close());
    socket.send({ type: 'serve', services: ['echo'], credit: 1 });
    await socket.next((frame) => frame.type === 'serving');
    await until(
      async () => {
        const status = (await (await fetch(`${url}/status`)).json()) as {
          services: { service: string; waitingWorkers: number }[];
        };
        return status.services.find((s) => s.service === 'echo')?.waitingWorkers === 2;
      },
      { what: 'the poll and the socket parked' },
    );

    await redis.kill();
    const toldPoll = await parkedPoll;
    assert.equal(toldPoll.status, 503, 'the parked poll is told');
    assert.equal(toldPoll.headers.get('hub-error'), 'store_unavailable');
    const toldSocket = await socket.next((frame) => frame.type === 'error');
    assert.equal(toldSocket.code, 'store_unavailable');
    assert.equal(toldSocket.service, 'echo');
    await until(async () => (await fetch(`${url}/readyz`)).status === 503, { what: 'not ready' });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.headers.get('hub-error'), 'store_unavailable');

    // Every exchange that needs the store fails at once, with the documented error.
    const startedAt = Date.now();
    for (const res of [
      await call('two'),
      await poll(),
      await fetch(`${url}/jobs/${job.id}`, { method: 'POST', body: 'x' }),
    ]) {
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('hub-error'), 'store_unavailable');
      assert.ok(res.headers.get('retry-after'), 'retry after');
    }
    t.diagnostic(`three refused exchanges took ${Date.now() - startedAt} ms in all`);
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'alive all the same');

    await redis.start();
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, {
      what: 'ready again',
      timeoutMs: 15_000,
    });
    // The socket's takes retried by themselves: it is the only worker, and it serves again.
    const after = call('three');
    const pushed = await socket.next((frame) => frame.type === 'job', 15_000);
    const pushedJob = jobOf(pushed);
    assert.equal(Buffer.from(String(pushedJob.originalRequest), 'base64').toString(), 'three');
    socket.send({ type: 'answer', id: pushedJob.id, body: { back: true } });
    assert.deepEqual(await (await after).json(), { back: true });
  },
);

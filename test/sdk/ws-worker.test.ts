/**
 * What the WebSocket transport adds to a HubWorker ([P-WS-REDELIVER]): a socket
 * that drops hands its jobs on at once, the worker's handlers for them are told
 * and never answer, and the worker reconnects and takes jobs again.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { startServer } from '../../src/http/server.js';
import { HubClient, HubWorker, isHubClientError, WEBSOCKET_REFUSED } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { recordingLogger } from '../support/logger.js';
import { CuttableProxy } from '../support/proxy.js';

test('[P-WS-REDELIVER] a WebSocket worker whose connection drops: its job goes to another worker at once, its handler is aborted and never answers, and it reconnects', {
  timeout: 10_000,
}, async () => {
  // A lease far past the call's deadline: only the socket's close can hand the job on in time.
  const server = await startServer(testConfig({ leaseMs: 60_000, callTimeoutMs: 5000 }));
  const proxy = await new CuttableProxy(server.url).listen();
  const warnings: string[] = [];
  let started = 0;
  let aborted = 0;
  const cutWorker = new HubWorker({
    url: proxy.url,
    services: 'echo',
    transport: 'ws',
    concurrency: 2,
    backoff: { initialMs: 10, maxMs: 50 },
    logger: { info() {}, warn: (m) => warnings.push(m) },
    handler: async (job, { signal }) => {
      if (job.json() !== 'hold') return 'from the cut worker';
      started++;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      aborted++;
      return 'an answer that must never be sent';
    },
  }).start();
  const client = new HubClient({ url: server.url });
  const sockets = async () =>
    (await server.hub.status()).services.find((s) => s.service === 'echo')?.webSocketWorkers;
  try {
    await until(async () => (await sockets()) === 1, { what: 'the worker socket' });
    const held = client.call('echo', 'hold');
    // Cut once the handler runs: a job frame still on the wire would be lost with it.
    await until(() => started === 1, { what: 'the handler to start' });
    proxy.cut();

    // Another worker gets the job at once (attempt 2), long before the 60 s lease.
    const poll = await fetch(`${server.url}/service/echo/jobs?timeout=3000`);
    assert.equal(poll.status, 200);
    const again = (await poll.json()) as { id: string; attempt: number };
    assert.equal(again.attempt, 2);
    await fetch(`${server.url}/jobs/${again.id}`, {
      method: 'POST',
      body: '"from the other"',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal((await held).body, 'from the other');
    await until(() => aborted === 1, { what: "the cut worker's handler to be aborted" });

    // It reconnects, grants its credit again, and serves.
    await until(async () => (await sockets()) === 1, { what: 'the reconnect' });
    assert.equal((await client.call('echo', 'next')).body, 'from the cut worker');
    const { total } = await server.hub.status();
    assert.equal(total.answered, 2);
    assert.equal(total.redelivered, 1);
    assert.deepEqual(
      warnings.filter((w) => w.includes('refused')),
      [],
      'the aborted handler sent nothing on the new socket',
    );
  } finally {
    await cutWorker.stop({ graceMs: 0 });
    await proxy.close();
    await server.close();
  }
});

test('a worker with no transport chosen uses a WebSocket, and long polls where the hub refuses the upgrade', async () => {
  const server = await startServer(testConfig());
  const plain = await new CuttableProxy(server.url, { refuseWebSockets: true }).listen();
  const { lines, logger } = recordingLogger();
  const workers = [
    new HubWorker({ url: server.url, services: 'direct', logger, handler: () => 'ws' }),
    new HubWorker({ url: plain.url, services: 'behind', logger, handler: () => 'polls' }),
  ].map((worker) => worker.start());
  const client = new HubClient({ url: server.url });
  try {
    assert.equal((await client.call('direct')).body, 'ws');
    assert.equal((await client.call('behind')).body, 'polls');
    const { services } = await server.hub.status();
    const sockets = Object.fromEntries(services.map((s) => [s.service, s.webSocketWorkers]));
    assert.deepEqual(sockets, { direct: 1, behind: 0 });
    assert.equal(
      lines.filter((l) => l.includes('has no WebSocket channel')).length,
      1,
      lines.join('\n'),
    );

    // Asked for explicitly, a WebSocket that cannot be had is an outage, not a fallback.
    const insisting = new HubWorker({
      url: plain.url,
      services: 'insist',
      transport: 'ws',
      backoff: { initialMs: 10, maxMs: 20 },
      logger,
      handler: () => 'never',
    }).start();
    await until(() => lines.some((l) => l.includes('hub unavailable')), { what: 'the outage log' });
    await insisting.stop();

    // Issue 26, item 28: a caller behind it got code `unknown`, in no catalogue.
    const caller = new HubClient({ url: plain.url, transport: 'ws' });
    await assert.rejects(
      caller.call('behind'),
      (error: unknown) =>
        isHubClientError(error) &&
        error.code === WEBSOCKET_REFUSED &&
        error.status === 404 &&
        /not by the hub/.test(error.message),
    );
    await caller.close();
  } finally {
    await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
    await plain.close();
    await server.close();
  }
});

// Issue 26, item 22: over long polls, ready resolved before the hub had seen the
// worker, and 10 of 10 calls made right after it got no_workers.
for (const transport of ['ws', 'http'] as const) {
  test(`[P-WS-WORKER] ready resolves once the hub has the worker (transport ${transport}): a call right after it finds the worker, with no-responders on`, async () => {
    const server = await startServer(testConfig({ noWorkersMs: 10_000 }));
    const client = new HubClient({ url: server.url });
    try {
      for (let i = 0; i < 5; i++) {
        const worker = new HubWorker({
          url: server.url,
          services: `ready-${i}`,
          transport,
          logger: false,
          handler: () => 'here',
        }).start();
        await worker.ready;
        // Before the hub knows the worker, this call would be 503 no_workers.
        assert.equal((await client.call(`ready-${i}`)).body, 'here');
        await worker.stop();
      }
    } finally {
      await server.close();
    }
  });
}

// A socket the hub opens and then closes before serving (here: at once, 1011)
// is an outage that lasts, not a reconnect: once the worker counted the open
// as "reconnected" and reset its backoff, and spun, logging two lines a turn.
test('a WebSocket that opens and closes before the hub serves it is one outage: one log line, no "reconnected"', async () => {
  const closer = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(closer, 'listening');
  let opened = 0;
  closer.on('connection', (socket) => {
    opened++;
    socket.once('message', () => socket.close(1011, 'try again later'));
  });
  const { port } = closer.address() as AddressInfo;
  const { lines, logger } = recordingLogger();
  const worker = new HubWorker({
    url: `http://127.0.0.1:${port}`,
    services: 'flaky',
    transport: 'ws',
    backoff: { initialMs: 10, maxMs: 40 },
    logger,
    handler: () => 'never',
  }).start();
  try {
    await until(() => opened >= 4, { what: 'four sockets opened and closed' });
  } finally {
    await worker.stop({ graceMs: 0 });
    closer.close();
  }
  assert.equal(lines.filter((l) => l.includes('hub unavailable')).length, 1, lines.join('\n'));
  assert.equal(lines.filter((l) => l.includes('reconnected')).length, 0, lines.join('\n'));
  assert.match(lines.join('\n'), /the hub closed the WebSocket \(1011: try again later\)/);
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { HubClient, HubWorker, isHubClientError } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { CuttableProxy } from '../support/proxy.js';

for (const transport of ['http', 'ws'] as const)
  describe(`HubClient (transport ${transport})`, () => {
    let server: RunningServer;
    let worker: HubWorker;
    let client: HubClient;
    before(async () => {
      server = await startServer(testConfig());
      client = new HubClient({ url: server.url, transport });
      worker = new HubWorker({
        url: server.url,
        services: ['echo', 'fail'],
        transport,
        logger: false,
        handler: (job) => {
          if (job.service === 'fail') {
            return new Response('{"problem":"bad input"}', {
              status: 422,
              headers: { 'content-type': 'application/json' },
            });
          }
          if (job.contentType === 'application/octet-stream') return job.body;
          if (job.headers['x-raw-json'] !== undefined) {
            return new Response('{"id":12345678901234567890, "x":1.0}\n', {
              headers: { 'content-type': 'application/json' },
            });
          }
          if (job.headers['x-cookies'] !== undefined) {
            const headers = new Headers([
              ['set-cookie', 'a=1'],
              ['set-cookie', 'b=2'],
            ]);
            return new Response(null, { status: 204, headers });
          }
          if (job.contentType?.startsWith('text/'))
            return new Response(job.text().toUpperCase(), {
              headers: { 'content-type': 'text/plain' },
            });
          return { echoed: job.json(), trace: job.headers['x-trace'] };
        },
      }).start();
    });
    after(async () => {
      await client.close();
      await worker.stop();
      await server.close();
    });

    test('call() sends JSON and returns status, headers and the parsed body', async () => {
      const response = await client.call(
        'echo',
        { n: 1 },
        { headers: { 'X-Trace': 't-1' }, timeout: 2000 },
      );
      assert.equal(response.status, 200);
      assert.equal(response.ok, true);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.deepEqual(response.body, { echoed: { n: 1 }, trace: 't-1' });
    });

    // Issue 26, item 30: `call --ws` dropped the newline a worker printed, where HTTP
    // kept it; big integers lost digits the same way.
    test("call() returns a JSON answer's bytes exactly as the worker wrote them", async () => {
      const response = await client.call('echo', {}, { headers: { 'x-raw-json': '1' } });
      assert.equal(
        Buffer.from(response.bytes).toString(),
        '{"id":12345678901234567890, "x":1.0}\n',
      );
    });

    // Issue 26, item 16: over WebSocket only the last Set-Cookie arrived.
    test('call() returns every Set-Cookie line a worker sent', async () => {
      const response = await client.call('echo', {}, { headers: { 'x-cookies': '1' } });
      assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    });

    test('call() sends bytes as bytes and returns text as a string', async () => {
      const bytes = new Uint8Array([0, 255, 7]);
      const binary = await client.call('echo', bytes);
      assert.deepEqual(binary.body, bytes);
      const text = await client.call('echo', new TextEncoder().encode('hi'), {
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(text.body, 'HI');
    });

    test("a worker's non-2xx answer is returned, not thrown", async () => {
      const response = await client.call('fail', {});
      assert.equal(response.status, 422);
      assert.equal(response.ok, false);
      assert.deepEqual(response.body, { problem: 'bad input' });
    });

    test('a hub error throws HubClientError with the hub code and status', async () => {
      await assert.rejects(client.call('nobody-home', {}, { timeout: 20 }), (error: unknown) => {
        assert.ok(isHubClientError(error));
        assert.equal(error.code, 'timeout');
        assert.equal(error.status, 504);
        assert.match(error.message, /deadline/);
        return true;
      });
      await assert.rejects(client.call('bad name', {}), {
        code: 'invalid_service_name',
        status: 400,
      });
    });

    test('an unreachable hub throws HubClientError hub_unreachable', async () => {
      const closed = await startServer(testConfig());
      await closed.close();
      const offline = new HubClient({ url: closed.url, transport });
      await assert.rejects(offline.call('echo', {}), {
        code: 'hub_unreachable',
        status: undefined,
      });
    });

    test('an aborted call rejects with its reason, and the hub withdraws its queued job', async () => {
      const controller = new AbortController();
      const call = client.call(
        'abandoned',
        {},
        {
          signal: controller.signal,
          timeout: 5000,
          headers: { 'hub-no-workers': 'queue' },
        },
      );
      const queued = async () =>
        (await server.hub.status()).services.find((s) => s.service === 'abandoned');
      await until(async () => (await queued())?.queued === 1, { what: 'the call to queue' });
      controller.abort();
      await assert.rejects(call, { name: 'AbortError' });
      await until(async () => (await queued())?.cancelled === 1, {
        what: 'the job to be withdrawn',
      });
      assert.equal((await queued())?.queued, 0);
    });

    // Issue 26, item 29, as docs/sdk.md now says: the reason comes back, whatever it is.
    test("an aborted call rejects with a reason of the caller's own, not a HubClientError", async () => {
      const controller = new AbortController();
      const mine = new Error('the user navigated away');
      const call = client.call(
        'abandoned',
        {},
        {
          signal: controller.signal,
          timeout: 5000,
          headers: { 'hub-no-workers': 'queue' },
        },
      );
      controller.abort(mine);
      await assert.rejects(call, (error: unknown) => error === mine && !isHubClientError(error));
    });

    test('status() returns the hub status', async () => {
      await client.call('echo', 1);
      const status = await client.status();
      assert.ok((status.services.find((s) => s.service === 'echo')?.answered ?? 0) >= 1);
    });
  });

describe('HubClient over WebSocket', () => {
  test('many calls share one socket; when it drops, the calls in flight fail hub_unreachable and the next call opens a new one', async () => {
    const server = await startServer(testConfig());
    const proxy = await new CuttableProxy(server.url).listen();
    const client = new HubClient({ url: proxy.url, transport: 'ws' });
    const release: (() => void)[] = [];
    const worker = new HubWorker({
      url: server.url,
      services: 'wait',
      concurrency: 10,
      logger: false,
      handler: async (job) => {
        if (job.json() === 'hold') await new Promise<void>((resolve) => release.push(resolve));
        return job.json();
      },
    }).start();
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => client.call('wait', i)),
      );
      assert.deepEqual(
        answers.map((a) => a.body),
        [0, 1, 2, 3, 4],
      );
      assert.equal(proxy.connections, 1, 'one socket for every call');

      const held = client.call('wait', 'hold');
      await until(() => release.length === 1, { what: 'the held call to reach the worker' });
      proxy.cut();
      await assert.rejects(held, { code: 'hub_unreachable', message: /WebSocket/ });
      for (const resolve of release) resolve();
      assert.equal((await client.call('wait', 'again')).body, 'again');
    } finally {
      await client.close();
      await worker.stop({ graceMs: 0 });
      await proxy.close();
      await server.close();
    }
  });
});

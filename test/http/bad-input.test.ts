import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ErrorBody } from '../../src/protocol.js';
import { CHANNELS, type RequestTarget } from '../support/channels.js';

type App = RequestTarget;

/** Every hub error: the documented status, JSON body with the code, and the Hub-Error header. */
async function assertHubError(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}`);
  assert.equal(res.headers.get('hub-error'), code);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as ErrorBody;
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

/** After any bad input the hub answers a normal round trip. */
async function assertStillHealthy(app: App): Promise<void> {
  const call = app.request('/service/health-check', { method: 'POST', body: '1' });
  const job = (await (await app.request('/service/health-check/jobs')).json()) as { id: string };
  await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'ok' });
  assert.equal(await (await call).text(), 'ok');
}

function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const chunk = new Uint8Array(Math.min(1024, bytes - sent)).fill(0x31);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

for (const channel of CHANNELS)
  describe(`bad input gets the documented 4xx and leaves the hub healthy (${channel.name})`, () => {
    test('[P-INVALID-JSON] malformed JSON with a JSON or no content type is 400 invalid_json', async (t) => {
      const app = await channel.open(t);
      const { hub } = app;
      const cases: [string | Uint8Array, Record<string, string>][] = [
        ['{"a":', { 'content-type': 'application/json' }],
        [Buffer.from('not json'), {}],
        ['{"a":1} trailing', { 'content-type': 'application/problem+json' }],
        [new Uint8Array([0x22, 0xff, 0x22]), { 'content-type': 'application/json' }],
        ['\uFEFF{"bom":true}', { 'content-type': 'application/json' }],
      ];
      for (const [body, headers] of cases) {
        await assertHubError(
          await app.request('/service/svc', { method: 'POST', body, headers }),
          400,
          'invalid_json',
        );
      }
      assert.equal((await hub.status()).total.calls, 0, 'no job was created');
      await assertStillHealthy(app);
    });

    test('[P-SERVICE-NAME] invalid service names are 400 invalid_service_name on every route', async (t) => {
      const app = await channel.open(t);
      for (const name of ['.dot', '-dash', 'a%20b', 'a%2Fb', 'x'.repeat(129), '%C3%BC']) {
        await assertHubError(
          await app.request(`/service/${name}`, { method: 'POST', body: '{}' }),
          400,
          'invalid_service_name',
        );
        await assertHubError(
          await app.request(`/service/${name}/jobs`),
          400,
          'invalid_service_name',
        );
      }
      await assertStillHealthy(app);
    });

    test('[P-TIMEOUT-HEADER] malformed or out-of-range timeouts are 400 invalid_timeout', async (t) => {
      const app = await channel.open(t, { maxCallTimeoutMs: 1000, maxPollTimeoutMs: 500 });
      // Header values arrive trimmed (RFC 9110), so ' 10' would be a valid 10.
      for (const value of [
        '-1',
        '1.5',
        'abc',
        '1e3',
        '',
        '+5',
        '0',
        '1001',
        '99999999999999999999',
      ]) {
        const call = await app.request('/service/svc', {
          method: 'POST',
          body: '{}',
          headers: { 'hub-timeout': value },
        });
        await assertHubError(call, 400, 'invalid_timeout');
      }
      for (const value of ['-1', '0.5', 'x', '501']) {
        await assertHubError(
          await app.request(`/service/svc/jobs?timeout=${value}`),
          400,
          'invalid_timeout',
        );
        await assertHubError(
          await app.request('/service/svc/jobs', { headers: { 'hub-timeout': value } }),
          400,
          'invalid_timeout',
        );
      }
      await assertStillHealthy(app);
    });

    test('[P-BODY-LIMIT] bodies over the limit are 413 payload_too_large, by Content-Length or by counting', async (t) => {
      const app = await channel.open(t, { maxBodyBytes: 1024 });
      const { hub } = app;
      const big = 'x'.repeat(1025);
      const declared = await app.request('/service/svc', {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'text/plain' },
      });
      await assertHubError(declared, 413, 'payload_too_large');
      const streamed = await app.request('/service/svc', {
        method: 'POST',
        body: chunked(4096),
        headers: { 'content-type': 'text/plain' },
        duplex: 'half',
      } as RequestInit);
      await assertHubError(streamed, 413, 'payload_too_large');
      const answer = await app.request('/jobs/abc', { method: 'POST', body: big });
      await assertHubError(answer, 413, 'payload_too_large');
      const atLimit = app.request('/service/svc', {
        method: 'POST',
        body: 'y'.repeat(1024),
        headers: { 'content-type': 'text/plain' },
      });
      const job = (await (await app.request('/service/svc/jobs')).json()) as {
        id: string;
        originalRequest: string;
      };
      assert.equal(Buffer.from(job.originalRequest, 'base64').byteLength, 1024);
      await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'ok' });
      assert.equal((await atLimit).status, 200);
      assert.equal((await hub.status()).total.calls, 1);
    });

    test('[P-QUEUE-FULL] a full queue is 503 queue_full with Retry-After', async (t) => {
      const app = await channel.open(t, { maxQueuedPerService: 1, callTimeoutMs: 100 });
      const first = app.request('/service/svc', { method: 'POST', body: '1' });
      const res = await app.request('/service/svc', { method: 'POST', body: '2' });
      assert.equal(res.headers.get('retry-after'), '1');
      await assertHubError(res, 503, 'queue_full');
      assert.equal((await first).status, 504);
    });

    test('[P-ROUTES] unknown routes are 404 not_found; wrong methods are 405 with Allow', async (t) => {
      const app = await channel.open(t);
      await assertHubError(await app.request('/nope'), 404, 'not_found');
      await assertHubError(await app.request('/service'), 404, 'not_found');
      const cases: [string, string, string][] = [
        ['GET', '/service/svc', 'POST'],
        ['PUT', '/service/svc', 'POST'],
        ['POST', '/service/svc/jobs', 'GET'],
        ['PUT', '/jobs/abc', 'GET, POST'],
        ['GET', '/jobs/abc/heartbeat', 'POST'],
        ['DELETE', '/jobs/abc/response', 'POST'],
        ['POST', '/status', 'GET'],
        ['POST', '/healthz', 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await app.request(path, { method });
        assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
        await assertHubError(res, 405, 'method_not_allowed');
      }
      await assertStillHealthy(app);
    });
  });

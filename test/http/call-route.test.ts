import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { CHANNELS, queuedOn, type RequestTarget } from '../support/channels.js';
import { until } from '../support/http.js';

type App = Pick<RequestTarget, 'request'>;

async function takeJob(app: App, service: string, query = ''): Promise<WireJob> {
  const res = await app.request(`/service/${service}/jobs${query}`);
  assert.equal(res.status, 200);
  return (await res.json()) as WireJob;
}

for (const channel of CHANNELS)
  describe(`ANY /call/:service/* - whole HTTP requests through the hub (${channel.name})`, () => {
    test('[P-CALL] the job carries the method, the path below the service and the raw query', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/call/users/42/posts?fields=name&fields=id', {
        headers: { accept: 'application/json' },
      });
      const job = await takeJob(app, 'users');
      assert.deepEqual(
        { method: job.method, path: job.path, query: job.query, body: job.originalRequest },
        { method: 'GET', path: '/42/posts', query: 'fields=name&fields=id', body: null },
      );
      await app.request(`/jobs/${job.id}`, {
        method: 'POST',
        body: Buffer.from('{"name":"Ada"}'),
        headers: { 'content-type': 'application/json' },
      });
      const res = await call;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { name: 'Ada' });
    });

    test('[P-CALL] /call/:service alone is the path /, and percent-encoding is kept', async (t) => {
      const app = await channel.open(t);
      const bare = app.request('/call/users', { method: 'DELETE' });
      const bareJob = await takeJob(app, 'users');
      assert.deepEqual([bareJob.method, bareJob.path, bareJob.query], ['DELETE', '/', '']);
      await app.request(`/jobs/${bareJob.id}`, {
        method: 'POST',
        headers: { 'hub-status': '204' },
      });
      assert.equal((await bare).status, 204);

      const encoded = app.request('/call/users/a%20b/%E2%9C%93', {
        method: 'PUT',
        body: Buffer.from('{}'),
      });
      const encodedJob = await takeJob(app, 'users');
      assert.equal(encodedJob.path, '/a%20b/%E2%9C%93');
      await app.request(`/jobs/${encodedJob.id}`, { method: 'POST' });
      await encoded;
    });

    test('[P-CALL] POST /service/:name jobs say POST, path / and its query', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/users?x=1', { method: 'POST', body: Buffer.from('{}') });
      const job = await takeJob(app, 'users');
      assert.deepEqual([job.method, job.path, job.query], ['POST', '/', 'x=1']);
      await app.request(`/jobs/${job.id}`, { method: 'POST' });
      await call;
    });

    test('[P-CALL] /call and /service share one FIFO queue per service', async (t) => {
      const app = await channel.open(t);
      // Each is sent once the one before is queued: over a network, two requests in
      // flight at once may arrive in either order.
      const first = app.request('/service/users', { method: 'POST', body: Buffer.from('1') });
      await until(async () => (await queuedOn(app, 'users')) === 1, { what: 'the first queued' });
      const second = app.request('/call/users/2');
      await until(async () => (await queuedOn(app, 'users')) === 2, { what: 'the second queued' });
      const a = await takeJob(app, 'users');
      const b = await takeJob(app, 'users');
      assert.deepEqual([a.path, a.originalRequest, b.path], ['/', 1, '/2']);
      for (const job of [a, b]) await app.request(`/jobs/${job.id}`, { method: 'POST' });
      await Promise.all([first, second]);
    });

    test('[P-CALL] a body that claims JSON but is not is forwarded as base64, not refused', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/call/users/1', {
        method: 'PATCH',
        body: Buffer.from('{broken'),
        headers: { 'content-type': 'application/json' },
      });
      const job = await takeJob(app, 'users');
      assert.equal(job.encoding, 'base64');
      assert.equal(Buffer.from(job.originalRequest as string, 'base64').toString(), '{broken');
      assert.equal(job.contentType, 'application/json');
      await app.request(`/jobs/${job.id}`, { method: 'POST', headers: { 'hub-status': '400' } });
      assert.equal((await call).status, 400);
    });

    test('[P-ENCODING] a worker polling with ?encoding=base64 gets every body as its exact bytes', async (t) => {
      const app = await channel.open(t);
      const body = '{ "spaced" :  true }';
      const call = app.request('/service/sig', {
        method: 'POST',
        body: Buffer.from(body),
        headers: { 'content-type': 'application/json' },
      });
      const job = await takeJob(app, 'sig', '?encoding=base64');
      assert.equal(job.encoding, 'base64');
      assert.equal(Buffer.from(job.originalRequest as string, 'base64').toString(), body);
      await app.request(`/jobs/${job.id}`, { method: 'POST' });
      await call;
      const bad = await app.request('/service/sig/jobs?encoding=hex&timeout=0');
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('hub-error'), 'invalid_encoding');
    });
  });

for (const channel of CHANNELS)
  describe(`answer headers (${channel.name})`, () => {
    test('[P-ANSWER-HEADERS] Hub-Header-* headers reach the caller; nothing else from the worker does', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/call/users/1');
      const job = await takeJob(app, 'users');
      await app.request(`/jobs/${job.id}`, {
        method: 'POST',
        body: Buffer.from('hi'),
        headers: {
          'content-type': 'text/plain',
          'user-agent': 'the-worker/1.0',
          'x-worker-secret': 'no',
          'hub-header-cache-control': 'no-store',
          'hub-header-x-total-count': '7',
          'hub-header-hub-error': 'forged',
          'hub-header-content-length': '999',
          'hub-header-connection': 'close',
        },
      });
      const res = await call;
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('x-total-count'), '7');
      assert.equal(res.headers.get('content-type'), 'text/plain');
      assert.equal(res.headers.get('hub-error'), null);
      assert.equal(res.headers.get('user-agent'), null);
      assert.equal(res.headers.get('x-worker-secret'), null);
      assert.equal(await res.text(), 'hi');
    });
  });

/** The HTTP face of leases, failures, no-responders and GET /services. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { CHANNELS, type RequestTarget } from '../support/channels.js';
import { until } from '../support/http.js';

type App = RequestTarget;

function call(app: App, headers: Record<string, string> = {}) {
  return app.request('/service/svc', {
    method: 'POST',
    body: '{"n":1}',
    headers: { 'content-type': 'application/json', ...headers },
  });
}

async function take(app: App, headers: Record<string, string> = {}): Promise<WireJob> {
  const res = await app.request('/service/svc/jobs?timeout=1000', { headers });
  assert.equal(res.status, 200);
  return (await res.json()) as WireJob;
}

function post(app: App, path: string, body?: string) {
  return app.request(path, {
    method: 'POST',
    body: body ?? null,
    headers: { 'content-type': 'application/json' },
  });
}

async function errorCode(res: Response): Promise<string | null> {
  const code = res.headers.get('hub-error');
  const body = (await res.json()) as { error: { code: string } };
  assert.equal(body.error.code, code);
  return code;
}

for (const channel of CHANNELS)
  describe(`HTTP: leases, heartbeats and failure reports (${channel.name})`, () => {
    test('[P-JOB-SHAPE] a job says how long remains before its deadline and how long its lease is', async (t) => {
      const app = await channel.open(t, { leaseMs: 5000 });
      const pending = call(app, { 'hub-timeout': '1500' });
      const job = await take(app);
      assert.ok(
        job.remainingMs > 1000 && job.remainingMs <= 1500,
        `remainingMs ${job.remainingMs}`,
      );
      assert.equal(job.leaseMs, 5000);
      await post(app, `/jobs/${job.id}`, '{}');
      assert.equal((await pending).status, 200);
    });

    test('[P-HEARTBEAT] POST /jobs/:id/heartbeat answers the new lease end; 410 once the caller is gone', async (t) => {
      const app = await channel.open(t, { leaseMs: 5000 });
      const pending = call(app, { 'hub-timeout': '60' });
      const job = await take(app);
      const res = await post(app, `/jobs/${job.id}/heartbeat`);
      assert.equal(res.status, 200);
      const lease = (await res.json()) as { leaseUntil: number; leaseMs: number };
      assert.ok(lease.leaseUntil > Date.now() + 4000, `leaseUntil ${lease.leaseUntil}`);
      assert.ok(lease.leaseMs > 4000 && lease.leaseMs <= 5000);
      assert.equal((await pending).status, 504);
      const gone = await post(app, `/jobs/${job.id}/heartbeat`);
      assert.equal(gone.status, 410);
      assert.equal(await errorCode(gone), 'caller_gone');
      assert.equal((await app.request(`/jobs/${job.id}/heartbeat`)).status, 405);
    });

    test('[P-FAIL] POST /jobs/:id/fail without retry gives the caller 502 worker_failed with the message', async (t) => {
      const app = await channel.open(t);
      const pending = call(app);
      const job = await take(app);
      const res = await post(app, `/jobs/${job.id}/fail`, '{"message":"disk full"}');
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { outcome: 'failed' });
      const caller = await pending;
      assert.equal(caller.status, 502);
      assert.equal(caller.headers.get('hub-error'), 'worker_failed');
      assert.deepEqual(await caller.json(), {
        error: { code: 'worker_failed', message: 'disk full' },
      });
    });

    test('[P-FAIL] with retry the job comes back as attempt 2 and the old id gets 409 lease_lost', async (t) => {
      const app = await channel.open(t);
      const pending = call(app);
      const first = await take(app);
      const res = await post(app, `/jobs/${first.id}/fail`, '{"message":"busy","retry":true}');
      assert.deepEqual(await res.json(), { outcome: 'retrying' });
      const second = await take(app);
      assert.equal(second.attempt, 2);
      const late = await post(app, `/jobs/${first.id}`, '{"late":true}');
      assert.equal(late.status, 409);
      assert.equal(await errorCode(late), 'lease_lost');
      await post(app, `/jobs/${second.id}`, '{"answer":1}');
      assert.equal(await (await pending).text(), '{"answer":1}');
    });

    test('[P-FAIL] a malformed failure report is 400 invalid_json and leaves the job held', async (t) => {
      const app = await channel.open(t);
      const pending = call(app);
      const job = await take(app);
      for (const body of ['{', '[]', '{"retry":"yes"}', '{"message":5}']) {
        const res = await post(app, `/jobs/${job.id}/fail`, body);
        assert.equal(res.status, 400, body);
        assert.equal(await errorCode(res), 'invalid_json');
      }
      await post(app, `/jobs/${job.id}`, '{}');
      assert.equal((await pending).status, 200);
    });

    test('[P-ATTEMPTS] a malformed Hub-Max-Attempts is 400 invalid_header', async (t) => {
      const app = await channel.open(t);
      for (const value of ['0', '-1', 'two', '1.5', '99']) {
        const res = await call(app, { 'hub-max-attempts': value });
        assert.equal(res.status, 400, value);
        assert.equal(await errorCode(res), 'invalid_header');
      }
    });

    test('[P-LEASE] a worker that takes a job and goes silent: the next worker gets it, the caller its answer', async (t) => {
      const app = await channel.open(t, { leaseMs: 30 });
      const pending = call(app);
      await take(app); // and never answers
      const second = await take(app);
      assert.equal(second.attempt, 2);
      await post(app, `/jobs/${second.id}`, '{"ok":true}');
      assert.equal((await pending).status, 200);
    });
  });

for (const channel of CHANNELS)
  describe(`HTTP: no-responders, queue timeouts, worker names and GET /services (${channel.name})`, () => {
    test('[P-NO-WORKERS] 503 no_workers with Retry-After; Hub-No-Workers: queue parks; a bad value is 400', async (t) => {
      const app = await channel.open(t, { noWorkersMs: 10_000 });
      const refused = await call(app);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(await errorCode(refused), 'no_workers');

      const bad = await call(app, { 'hub-no-workers': 'maybe' });
      assert.equal(bad.status, 400);
      assert.equal(await errorCode(bad), 'invalid_header');
      const malformed = await app.request('/service/svc', {
        method: 'POST',
        body: '{',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(await errorCode(malformed), 'invalid_json');

      const queued = call(app, { 'hub-no-workers': 'queue' });
      const job = await take(app);
      await post(app, `/jobs/${job.id}`, '{}');
      assert.equal((await queued).status, 200);
      // The worker that just polled and answered counts from now on.
      const next = call(app);
      await post(app, `/jobs/${(await take(app)).id}`, '{}');
      assert.equal((await next).status, 200);
    });

    test('[P-QUEUE-TIMEOUT] Hub-Queue-Timeout ends an untaken job with 504 queue_timeout', async (t) => {
      const app = await channel.open(t);
      const res = await call(app, { 'hub-queue-timeout': '20' });
      assert.equal(res.status, 504);
      assert.equal(await errorCode(res), 'queue_timeout');
      const bad = await call(app, { 'hub-queue-timeout': '1.5' });
      assert.equal(await errorCode(bad), 'invalid_timeout');
    });

    test('[P-WORKER-ID] [P-SERVICES] GET /services lists queues, the oldest wait and the named workers', async (t) => {
      const app = await channel.open(t);
      const a = call(app);
      const held = await take(app, { 'hub-worker': 'box-1' });
      const b = call(app);
      const oldest = async () => {
        const { services } = (await (await app.request('/services')).json()) as {
          services: { oldestQueuedMs: number }[];
        };
        return services[0]?.oldestQueuedMs ?? 0;
      };
      await until(async () => (await oldest()) >= 10, { what: 'the queued job to age' });
      const res = await app.request('/services');
      assert.equal(res.status, 200);
      const { services } = (await res.json()) as {
        services: {
          service: string;
          queued: number;
          inFlight: number;
          oldestQueuedMs: number;
          workers: { id: string; inFlight: number; lastSeenAt: number }[];
        }[];
      };
      assert.equal(services.length, 1);
      const [svc] = services;
      assert.equal(svc?.service, 'svc');
      assert.equal(svc?.queued, 1);
      assert.equal(svc?.inFlight, 1);
      assert.ok((svc?.oldestQueuedMs ?? 0) >= 10);
      assert.equal(svc?.workers[0]?.id, 'box-1');
      assert.equal(svc?.workers[0]?.inFlight, 1);
      assert.ok(Math.abs((svc?.workers[0]?.lastSeenAt ?? 0) - Date.now()) < 1000);
      await post(app, `/jobs/${held.id}`, '{}');
      await post(app, `/jobs/${(await take(app)).id}`, '{}');
      await Promise.all([a, b]);

      const bad = await app.request('/service/svc/jobs?timeout=0', {
        headers: { 'hub-worker': 'x'.repeat(129) },
      });
      assert.equal(bad.status, 400);
      assert.equal(await errorCode(bad), 'invalid_header');
      assert.equal((await app.request('/services', { method: 'POST' })).status, 405);
    });
  });

/** Prefer: respond-async, GET /jobs/:id, and Idempotency-Key, over HTTP. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { CHANNELS, inProcessOnly, type RequestTarget } from '../support/channels.js';
import { mockClock } from '../support/clock.js';
import { testApp } from '../support/config.js';

type App = Pick<RequestTarget, 'request'>;

function call(app: App, body: string, headers: Record<string, string> = {}) {
  return app.request('/service/svc', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

async function take(app: App, timeout = 1000): Promise<WireJob | undefined> {
  const res = await app.request(`/service/svc/jobs?timeout=${timeout}`);
  return res.status === 200 ? ((await res.json()) as WireJob) : undefined;
}

function answer(app: App, id: string, body: string, headers: Record<string, string> = {}) {
  return app.request(`/jobs/${id}`, { method: 'POST', body, headers });
}

for (const channel of CHANNELS)
  describe(`async calls: Prefer: respond-async and GET /jobs/:id (${channel.name})`, () => {
    test('[P-ASYNC] 202 with Location and the id; GET reports queued, in flight, then the answer exactly', async (t) => {
      const app = await channel.open(t);
      const accepted = await call(app, '{"n":1}', { prefer: 'respond-async' });
      assert.equal(accepted.status, 202);
      const { id } = (await accepted.json()) as { id: string };
      assert.match(id, /^[A-Za-z0-9_-]{21}$/);
      assert.equal(accepted.headers.get('location'), `/jobs/${id}`);
      assert.equal(accepted.headers.get('preference-applied'), 'respond-async');

      const queued = await app.request(`/jobs/${id}`);
      assert.equal(queued.status, 202);
      assert.deepEqual(await queued.json(), { id, state: 'queued' });

      const job = await take(app);
      assert.ok(job);
      assert.notEqual(job.id, id, "workers answer with their own delivery id, not the caller's");
      assert.deepEqual(await (await app.request(`/jobs/${id}`)).json(), { id, state: 'in_flight' });

      await answer(app, job.id, 'created', {
        'hub-status': '201',
        'content-type': 'text/plain',
        'hub-header-x-trace': 't-1',
      });
      for (let i = 0; i < 2; i++) {
        const done = await app.request(`/jobs/${id}`);
        assert.equal(done.status, 201);
        assert.equal(done.headers.get('content-type'), 'text/plain');
        assert.equal(done.headers.get('x-trace'), 't-1');
        assert.equal(await done.text(), 'created');
      }
      // The caller's id cannot be used to answer its own job.
      assert.equal((await answer(app, id, 'forged')).status, 404);
    });

    test('[P-ASYNC] ?wait long-polls for the answer; without it, an unfinished job answers at once', async (t) => {
      const app = await channel.open(t);
      const { id } = (await (await call(app, '1', { prefer: 'respond-async' })).json()) as {
        id: string;
      };
      const waiting = app.request(`/jobs/${id}?wait=1000`);
      const job = await take(app);
      assert.ok(job);
      await answer(app, job.id, '"done"', { 'content-type': 'application/json' });
      const done = await waiting;
      assert.equal(done.status, 200);
      assert.equal(await done.text(), '"done"');

      const { id: other } = (await (await call(app, '2', { prefer: 'respond-async' })).json()) as {
        id: string;
      };
      const started = Date.now();
      assert.equal((await app.request(`/jobs/${other}?wait=30`)).status, 202);
      assert.ok(Date.now() - started < 1000);
      assert.equal((await app.request(`/jobs/${other}?wait=x`)).status, 400);
    });

    test('[P-ASYNC] Prefer: respond-async, wait=N answers synchronously when the worker is fast enough', async (t) => {
      const app = await channel.open(t);
      const pending = call(app, '1', { prefer: 'respond-async, wait=5' });
      const job = await take(app);
      assert.ok(job);
      await answer(app, job.id, 'quick', { 'content-type': 'text/plain' });
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'quick');
    });

    test('[P-ASYNC] a failed async job reports the error a synchronous caller would have got', async (t) => {
      const app = await channel.open(t);
      const { id } = (await (
        await call(app, '1', { prefer: 'respond-async', 'hub-timeout': '30' })
      ).json()) as {
        id: string;
      };
      // Waits for the job's end, however long the machine takes to reach its deadline.
      const res = await app.request(`/jobs/${id}?wait=2000`);
      assert.equal(res.status, 504);
      assert.equal(res.headers.get('hub-error'), 'timeout');
    });

    test('[P-ASYNC] a job that cannot be queued is refused at once, not accepted; unknown ids are 404', async (t) => {
      const app = await channel.open(t, { noWorkersMs: 10_000 });
      const refused = await call(app, '1', { prefer: 'respond-async' });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('hub-error'), 'no_workers');
      const unknown = await app.request('/jobs/no-such-job');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers.get('hub-error'), 'unknown_job');
    });

    test(
      '[P-RESULTS] outcomes are kept for HUB_RESULT_TTL_MS, then 404',
      inProcessOnly(channel),
      async (t) => {
        const tick = mockClock(t);
        const { app } = testApp({ resultTtlMs: 40 });
        const { id } = (await (await call(app, '1', { prefer: 'respond-async' })).json()) as {
          id: string;
        };
        const job = await take(app);
        assert.ok(job);
        await answer(app, job.id, 'x');
        tick(39);
        assert.equal((await app.request(`/jobs/${id}`)).status, 200);
        tick(1);
        assert.equal((await app.request(`/jobs/${id}`)).status, 404);
      },
    );

    test(
      '[P-RESULTS] outcomes are bounded by count and by bytes, the oldest dropped first',
      inProcessOnly(channel),
      async () => {
        const finish = async (app: App, body: string): Promise<string> => {
          const { id } = (await (await call(app, '1', { prefer: 'respond-async' })).json()) as {
            id: string;
          };
          const job = await take(app);
          assert.ok(job);
          await answer(app, job.id, body);
          await app.request(`/jobs/${id}?wait=1000`);
          return id;
        };
        const byCount = testApp({ maxResults: 2 }).app;
        const ids = [
          await finish(byCount, 'a'),
          await finish(byCount, 'b'),
          await finish(byCount, 'c'),
        ];
        assert.deepEqual(
          await Promise.all(ids.map(async (id) => (await byCount.request(`/jobs/${id}`)).status)),
          [404, 200, 200],
        );
        // Each answer keeps 6 body bytes and its 24-byte content type (text/plain;charset=UTF-8).
        const byBytes = testApp({ maxResultBytes: 50 }).app;
        const first = await finish(byBytes, '123456');
        const second = await finish(byBytes, '123456');
        assert.equal((await byBytes.request(`/jobs/${first}`)).status, 404);
        assert.equal((await byBytes.request(`/jobs/${second}`)).status, 200);
      },
    );
  });

for (const channel of CHANNELS)
  describe(`Idempotency-Key (${channel.name})`, () => {
    test(
      '[P-IDEMPOTENCY] a second call with the key while the first is queued gets the same answer from one job',
      inProcessOnly(channel),
      async () => {
        const { app, hub } = testApp();
        const first = call(app, '{"order":1}', { 'idempotency-key': 'order-1' });
        const second = call(app, '{"order":1}', { 'idempotency-key': 'order-1' });
        const job = await take(app);
        assert.ok(job);
        assert.equal(await take(app, 0), undefined, 'no second job');
        await answer(app, job.id, 'charged');
        assert.deepEqual(await Promise.all([(await first).text(), (await second).text()]), [
          'charged',
          'charged',
        ]);
        // Recently answered: a retry gets the kept answer, and no worker sees it again.
        assert.equal(
          await (await call(app, '{"order":1}', { 'idempotency-key': 'order-1' })).text(),
          'charged',
        );
        assert.equal((await hub.status()).total.calls, 1);
      },
    );

    test('[P-IDEMPOTENCY] the same key with a different body is 422 idempotency_key_reused; keys are per service', async (t) => {
      const app = await channel.open(t);
      const first = call(app, '{"order":1}', { 'idempotency-key': 'k' });
      const reused = await call(app, '{"order":2}', { 'idempotency-key': 'k' });
      assert.equal(reused.status, 422);
      assert.equal(reused.headers.get('hub-error'), 'idempotency_key_reused');
      const elsewhere = app.request('/service/other', {
        method: 'POST',
        body: '{"order":2}',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
      });
      const otherJob = (await (
        await app.request('/service/other/jobs?timeout=1000')
      ).json()) as WireJob;
      await answer(app, otherJob.id, 'other');
      assert.equal(await (await elsewhere).text(), 'other');
      const job = await take(app);
      assert.ok(job);
      await answer(app, job.id, 'svc');
      assert.equal(await (await first).text(), 'svc');
      const bad = await call(app, '1', { 'idempotency-key': 'x'.repeat(256) });
      assert.equal(bad.headers.get('hub-error'), 'invalid_header');
    });

    test('[P-IDEMPOTENCY] a caller that leaves does not withdraw the job; one that times out can retry into it', async (t) => {
      const app = await channel.open(t);
      const impatient = await call(app, '5', { 'idempotency-key': 'k', 'hub-timeout': '20' });
      assert.equal(impatient.status, 504);
      const retry = call(app, '5', { 'idempotency-key': 'k' });
      const job = await take(app);
      assert.ok(job, 'the job was still queued for the retry to join');
      await answer(app, job.id, 'ok');
      assert.equal(await (await retry).text(), 'ok');
    });

    test('[P-IDEMPOTENCY] after a hub-side failure the key is free: the retry runs the work again', async (t) => {
      const app = await channel.open(t);
      const failed = call(app, '5', { 'idempotency-key': 'k' });
      const job = await take(app);
      assert.ok(job);
      await app.request(`/jobs/${job.id}/fail`, { method: 'POST', body: '{"message":"boom"}' });
      assert.equal((await failed).status, 502);
      const retry = call(app, '5', { 'idempotency-key': 'k' });
      const again = await take(app);
      assert.ok(again, 'a new job');
      await answer(app, again.id, 'second time');
      assert.equal(await (await retry).text(), 'second time');
    });

    test("[P-IDEMPOTENCY] an async call with a key already in use returns the running job's id", async (t) => {
      const app = await channel.open(t);
      const a = (await (
        await call(app, '1', { prefer: 'respond-async', 'idempotency-key': 'k' })
      ).json()) as { id: string };
      const b = (await (
        await call(app, '1', { prefer: 'respond-async', 'idempotency-key': 'k' })
      ).json()) as { id: string };
      assert.equal(a.id, b.id);
    });
  });

for (const channel of CHANNELS)
  describe(`[P-IDEMPOTENCY] whose key it is (${channel.name})`, () => {
    // Issue 11, finding 8: behind one gateway, users are told apart by a forwarded
    // identity header (and, with auth off, their own Authorization).
    test('[P-IDEMPOTENCY] the same key from two users (X-User-Id, or Authorization) runs two jobs; one user reusing it differently is 422', async (t) => {
      const app = await channel.open(t);
      const keyed = (user: Record<string, string>, body = '{"n":1}') =>
        call(app, body, { 'idempotency-key': 'k', ...user });
      for (const [alice, bob] of [
        [{ 'x-user-id': 'alice' }, { 'x-user-id': 'bob' }],
        [{ authorization: 'Bearer alice-session' }, { authorization: 'Bearer bob-session' }],
      ]) {
        const first = keyed(alice ?? {});
        const aliceJob = await take(app);
        assert.ok(aliceJob);
        await answer(app, aliceJob.id, 'for alice');
        assert.equal(await (await first).text(), 'for alice');
        const second = keyed(bob ?? {});
        const bobJob = await take(app);
        assert.ok(bobJob, "bob's call is a job of its own");
        await answer(app, bobJob.id, 'for bob');
        assert.equal(await (await second).text(), 'for bob');
        const conflict = await keyed(alice ?? {}, '{"n":2}');
        assert.equal(conflict.status, 422);
        assert.equal(conflict.headers.get('hub-error'), 'idempotency_key_reused');
      }
    });

    test('[P-IDEMPOTENCY] HUB_IDEMPOTENCY_SCOPE_HEADERS names the identity headers', async (t) => {
      const app = await channel.open(t, { idempotencyScopeHeaders: ['x-tenant'] });
      const first = call(app, '1', { 'idempotency-key': 'k', 'x-tenant': 'a' });
      const job = await take(app);
      assert.ok(job);
      await answer(app, job.id, 'tenant a');
      await first;
      // X-User-Id is no longer part of the scope; X-Tenant is.
      const sameTenant = await call(app, '1', {
        'idempotency-key': 'k',
        'x-tenant': 'a',
        'x-user-id': 'z',
      });
      assert.equal(await sameTenant.text(), 'tenant a');
      const otherTenant = call(app, '1', { 'idempotency-key': 'k', 'x-tenant': 'b' });
      const second = await take(app);
      assert.ok(second, 'another tenant runs its own job');
      await answer(app, second.id, 'tenant b');
      assert.equal(await (await otherTenant).text(), 'tenant b');
    });
  });

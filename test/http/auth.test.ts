import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadTokens } from '../../src/auth.js';
import { ConfigError } from '../../src/config.js';
import type { WireJob } from '../../src/protocol.js';
import { HTTP_CHANNELS, type RequestTarget } from '../support/channels.js';
import { testApp } from '../support/config.js';
import { until } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';

type App = RequestTarget;

function as(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return token === undefined ? extra : { authorization: `Bearer ${token}`, ...extra };
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get('hub-error'), code);
  const body = await res.text();
  for (const token of Object.values(TOKENS))
    assert.ok(!body.includes(token), 'a token leaked into an error');
}

async function takeAs(app: App, token: string, service = 'add'): Promise<WireJob> {
  const res = await app.request(`/service/${service}/jobs?timeout=1000`, { headers: as(token) });
  assert.equal(res.status, 200);
  return (await res.json()) as WireJob;
}

/** An async call to `add` as `token`; resolves the job id of its 202. */
async function submitAs(app: App, token: string, body: string): Promise<string> {
  const accepted = await app.request('/service/add', {
    method: 'POST',
    body,
    headers: as(token, { 'content-type': 'application/json', prefer: 'respond-async' }),
  });
  assert.equal(accepted.status, 202);
  return ((await accepted.json()) as { id: string }).id;
}

function callAs(app: App, token: string | undefined, service = 'add') {
  return app.request(`/service/${service}`, {
    method: 'POST',
    body: '{"first":1,"second":2}',
    headers: as(token, { 'content-type': 'application/json', 'hub-timeout': '1000' }),
  });
}

for (const channel of HTTP_CHANNELS)
  describe(`[P-AUTH] bearer tokens, roles and scopes (${channel.name})`, () => {
    test('[P-AUTH] with tokens configured, every route but the probes needs one: 401 with WWW-Authenticate', async (t) => {
      const app = await channel.open(t, { authTokens });
      assert.equal((await app.request('/healthz')).status, 200);
      assert.equal((await app.request('/readyz')).status, 200);
      for (const [path, method] of [
        ['/service/add', 'POST'],
        ['/service/add/jobs', 'GET'],
        ['/call/add/x', 'GET'],
        ['/jobs/abc', 'POST'],
        ['/status', 'GET'],
        ['/services', 'GET'],
      ] as const) {
        const missing = await app.request(path, { method });
        await expectError(missing, 401, 'unauthorized');
        assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
        await expectError(
          await app.request(path, { method, headers: as('not-a-known-token-at-all') }),
          401,
          'unauthorized',
        );
        await expectError(
          await app.request(path, { method, headers: { authorization: TOKENS.admin } }),
          401,
          'unauthorized',
        );
      }
    });

    test('[P-AUTH] every route the app declares, but the probes, refuses a request without a token (issue 13: routes own their auth)', async (t) => {
      const app = await channel.open(t, { authTokens });
      const probes = new Set(['/healthz', '/readyz']);
      // The dashboard's page holds no data (its figures are /ui/events, guarded);
      // test/http/dashboard.test.ts checks it is open.
      const page = new Set(['/', '/ui', '/ui/dashboard.js', '/ui/dashboard.css', '/openapi.json']);
      // So does the events catalogue's page (its data is /events/docs.json, guarded);
      // its path is also PUT /events/docs, a worker's, which is checked.
      const catalogue = new Set(['/events/docs', '/ui/events.js', '/ui/hub-fetch.js']);
      // /ws admits a socket without a token that must authenticate in its first
      // frame: test/ws/frames.test.ts, [P-WS-AUTH].
      // The routes as the Hono app declares them; each is sent through the channel.
      const declared = testApp({ authTokens }).app.routes.filter(
        (route) =>
          !probes.has(route.path) &&
          !page.has(route.path) &&
          !(route.method === 'GET' && catalogue.has(route.path)) &&
          route.path !== '/*' &&
          !(route.path === '/ws' && route.method === 'GET'),
      );
      assert.ok(declared.length >= 20, `found only ${declared.length} routes`);
      for (const { method, path } of declared) {
        const concrete = path.replace(/:[A-Za-z]+/g, 'x').replace(/\*/g, 'x');
        const res = await app.request(concrete, { method: method === 'ALL' ? 'PUT' : method });
        await expectError(res, 401, 'unauthorized');
      }
      for (const path of probes) assert.equal((await app.request(path)).status, 200);
      for (const path of catalogue) assert.equal((await app.request(path)).status, 200);
    });

    test('[P-AUTH] a caller token calls its services only, and cannot poll or read status', async (t) => {
      const app = await channel.open(t, { authTokens });
      const call = callAs(app, TOKENS.callerAdd);
      const job = await takeAs(app, TOKENS.workerAdd);
      const answered = await app.request(`/jobs/${job.id}`, {
        method: 'POST',
        body: '{"answer":3}',
        headers: as(TOKENS.workerAdd, { 'content-type': 'application/json' }),
      });
      assert.equal(answered.status, 200);
      assert.equal(await (await call).text(), '{"answer":3}');

      await expectError(await callAs(app, TOKENS.callerAdd, 'mul'), 403, 'forbidden');
      await expectError(
        await app.request('/call/mul/x', { headers: as(TOKENS.callerAdd) }),
        403,
        'forbidden',
      );
      await expectError(
        await app.request('/service/add/jobs', { headers: as(TOKENS.callerAdd) }),
        403,
        'forbidden',
      );
      await expectError(
        await app.request('/status', { headers: as(TOKENS.callerAdd) }),
        403,
        'forbidden',
      );
      await expectError(await callAs(app, TOKENS.workerAdd), 403, 'forbidden');
    });

    test('[P-AUTH] a worker token for one service can neither take nor answer, heartbeat or fail jobs of another', async (t) => {
      const app = await channel.open(t, { authTokens });
      await expectError(
        await app.request('/service/add/jobs', { headers: as(TOKENS.workerMul) }),
        403,
        'forbidden',
      );
      const call = callAs(app, TOKENS.callerAdd);
      const job = await takeAs(app, TOKENS.workerAdd);
      // The mul worker has learnt the add job's id.
      for (const path of [
        `/jobs/${job.id}`,
        `/jobs/${job.id}/response`,
        `/jobs/${job.id}/heartbeat`,
        `/jobs/${job.id}/fail`,
      ]) {
        await expectError(
          await app.request(path, { method: 'POST', body: '{}', headers: as(TOKENS.workerMul) }),
          403,
          'forbidden',
        );
      }
      // Nor may it take add's next job through an answer of its own.
      await expectError(
        await app.request(`/jobs/${job.id}?next=add`, {
          method: 'POST',
          body: '{}',
          headers: as(TOKENS.workerMul),
        }),
        403,
        'forbidden',
      );
      const answered = await app.request(`/jobs/${job.id}`, {
        method: 'POST',
        body: '{"answer":3}',
        headers: as(TOKENS.workerAdd, { 'content-type': 'application/json' }),
      });
      assert.equal(answered.status, 200);
      assert.equal((await call).status, 200);
    });

    test('[P-AUTH] [P-BATCH-OUTCOMES] in an answer batch, answers to jobs of services outside the token are refused as forbidden, the rest count', async (t) => {
      const app = await channel.open(t, { authTokens });
      const addCall = callAs(app, TOKENS.callerAdd);
      const addJob = await takeAs(app, TOKENS.workerAdd);
      const mulCall = app.request('/service/mul', {
        method: 'POST',
        body: '{}',
        headers: as(TOKENS.admin, { 'content-type': 'application/json', 'hub-timeout': '1000' }),
      });
      const mulJob = await takeAs(app, TOKENS.workerMul, 'mul');
      const heads = [
        { id: addJob.id, length: 3 },
        { id: mulJob.id, length: 4 },
      ];
      const batch = (token: string, query = '') =>
        app.request(`/jobs${query}`, {
          method: 'POST',
          body: `${JSON.stringify(heads)}\naddmul!`,
          headers: as(token, { 'content-type': 'application/vnd.switchboard.answers' }),
        });
      await expectError(await batch(TOKENS.callerAdd), 403, 'forbidden');
      await expectError(await batch(TOKENS.workerMul, '?next=add'), 403, 'forbidden');
      const res = await batch(TOKENS.workerMul);
      assert.equal(res.status, 200);
      const { outcomes } = (await res.json()) as {
        outcomes: { id: string; error?: { code: string } }[];
      };
      assert.deepEqual(
        outcomes.map((o) => o.error?.code),
        ['forbidden', undefined],
      );
      assert.equal(await (await mulCall).text(), 'mul!');
      const answered = await batch(TOKENS.workerAdd);
      const second = (await answered.json()) as { outcomes: { error?: { code: string } }[] };
      assert.deepEqual(
        second.outcomes.map((o) => o.error?.code),
        [undefined, 'already_answered'],
      );
      assert.equal(await (await addCall).text(), 'add');
    });

    test('[P-AUTH] an async result is read by callers of its service only', async (t) => {
      const app = await channel.open(t, {
        authTokens: JSON.stringify({
          tokens: [
            { token: TOKENS.callerAdd, role: 'caller', services: ['add'] },
            { token: 'caller-mul-0123456789', role: 'caller', services: ['mul'] },
            { token: TOKENS.workerAdd, role: 'worker', services: ['add'] },
          ],
        }),
      });
      const id = await submitAs(app, TOKENS.callerAdd, '1');
      assert.equal(
        (await app.request(`/jobs/${id}`, { headers: as(TOKENS.callerAdd) })).status,
        202,
      );
      await expectError(
        await app.request(`/jobs/${id}`, { headers: as('caller-mul-0123456789') }),
        403,
        'forbidden',
      );
      await expectError(
        await app.request(`/jobs/${id}`, { headers: as(TOKENS.workerAdd) }),
        403,
        'forbidden',
      );
    });

    test('[P-AUTH] an admin token reads status and services', async (t) => {
      const app = await channel.open(t, { authTokens });
      assert.equal((await app.request('/status', { headers: as(TOKENS.admin) })).status, 200);
      assert.equal((await app.request('/services', { headers: as(TOKENS.admin) })).status, 200);
    });

    test('[P-AUTH] malformed token settings stop start-up instead of turning auth off', () => {
      const bad = [
        'not json',
        '{"tokens": []}',
        '{"tokens": [{"token": "short", "role": "caller"}]}',
        '{"tokens": [{"token": "long-enough-token-123", "role": "root"}]}',
        '{"tokens": [{"token": "long-enough-token-123", "role": "caller", "services": "add"}]}',
        '{"tokens": [{"token": "long-enough-token-123", "role": "caller"}, {"token": "long-enough-token-123", "role": "admin"}]}',
        // Issue 26, item 19: two tokens under one name shared idempotency keys and socket counts.
        '{"tokens": [{"name": "t", "token": "long-enough-token-123", "role": "caller"}, {"name": "t", "token": "another-long-token-456", "role": "caller"}]}',
        '{"tokens": [{"name": "#2", "token": "long-enough-token-123", "role": "caller"}, {"token": "another-long-token-456", "role": "caller"}]}',
      ];
      for (const text of bad) {
        assert.throws(() => loadTokens({ authFile: '', authTokens: text }), ConfigError, text);
      }
      assert.throws(
        () => loadTokens({ authFile: '/no/such/file.json', authTokens: '' }),
        ConfigError,
      );
      assert.equal(loadTokens({ authFile: '', authTokens: '' }), undefined);
    });
  });

// Issue 11, finding 2: HEAD runs the GET handler, and HEAD /jobs/<id> skipped the
// check that the reader calls the job's service.
for (const channel of HTTP_CHANNELS)
  describe(`[P-AUTH] HEAD is authorised exactly as GET is (${channel.name})`, () => {
    test('[P-AUTH] every route with a GET gives HEAD the same status for every token', async (t) => {
      const app = await channel.open(t, { authTokens });
      const id = await submitAs(app, TOKENS.callerAdd, '{}');
      const routes = [
        `/jobs/${id}`,
        `/jobs/${id}?wait=50`,
        '/status',
        '/services',
        '/call/add/x',
        '/healthz',
        '/readyz',
      ];
      for (const path of routes) {
        for (const token of [undefined, ...Object.values(TOKENS)]) {
          const get = await app.request(path, { headers: as(token, { 'hub-timeout': '50' }) });
          const head = await app.request(path, {
            method: 'HEAD',
            headers: as(token, { 'hub-timeout': '50' }),
          });
          assert.equal(head.status, get.status, `HEAD ${path} as ${token}`);
          assert.equal(head.headers.get('hub-error'), get.headers.get('hub-error'), path);
        }
      }
      // The case the audit found: a worker of another service reads nothing of add's result.
      const head = await app.request(`/jobs/${id}`, {
        method: 'HEAD',
        headers: as(TOKENS.workerMul),
      });
      assert.equal(head.status, 403);
    });

    test('[P-AUTH] HEAD on a poll is refused by role like GET, and takes no job with any token', async (t) => {
      const app = await channel.open(t, { authTokens });
      const { hub } = app;
      const pending = callAs(app, TOKENS.callerAdd);
      const queued = async () => (await hub.status()).total.queued;
      await until(async () => (await queued()) === 1, { what: 'the call to be queued' });
      for (const token of [TOKENS.callerAdd, TOKENS.workerMul]) {
        const head = await app.request('/service/add/jobs?timeout=0', {
          method: 'HEAD',
          headers: as(token),
        });
        assert.equal(head.status, 403);
      }
      const head = await app.request('/service/add/jobs?timeout=0', {
        method: 'HEAD',
        headers: as(TOKENS.workerAdd),
      });
      assert.equal(head.status, 405);
      assert.equal(await queued(), 1, 'the job is still queued');
      const job = await takeAs(app, TOKENS.workerAdd);
      await app.request(`/jobs/${job.id}`, {
        method: 'POST',
        body: '3',
        headers: as(TOKENS.workerAdd),
      });
      assert.equal((await pending).status, 200);
    });
  });

// Issue 11, finding 8: two tokens shared one space of idempotency keys.
for (const channel of HTTP_CHANNELS)
  describe(`[P-IDEMPOTENCY] keys are scoped per token (${channel.name})`, () => {
    test('[P-IDEMPOTENCY] two callers with the same key and request get their own jobs and answers', async (t) => {
      const callerTokens = JSON.stringify({
        tokens: [
          { name: 'alice', token: 'alice-token-0123456789', role: 'caller' },
          { name: 'bob', token: 'bob-token-0123456789', role: 'caller' },
          { name: 'adder', token: TOKENS.workerAdd, role: 'worker' },
        ],
      });
      const app = await channel.open(t, { authTokens: callerTokens });
      const keyed = (token: string) =>
        app.request('/service/add', {
          method: 'POST',
          body: '{"order":1}',
          headers: as(token, { 'content-type': 'application/json', 'idempotency-key': 'k-1' }),
        });
      const alice = keyed('alice-token-0123456789');
      const first = await takeAs(app, TOKENS.workerAdd);
      await app.request(`/jobs/${first.id}`, {
        method: 'POST',
        body: 'alice',
        headers: as(TOKENS.workerAdd),
      });
      assert.equal(await (await alice).text(), 'alice');
      const bob = keyed('bob-token-0123456789');
      const second = await takeAs(app, TOKENS.workerAdd);
      await app.request(`/jobs/${second.id}`, {
        method: 'POST',
        body: 'bob',
        headers: as(TOKENS.workerAdd),
      });
      assert.equal(await (await bob).text(), 'bob', "bob's call ran, and never saw alice's answer");
      // Within one token the key still coalesces.
      assert.equal(await (await keyed('alice-token-0123456789')).text(), 'alice');
    });
  });

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { loadTokens } from '../../src/auth.js';
import type { Config } from '../../src/config.js';
import { createHub } from '../../src/create-hub.js';
import { exchangeTable } from '../../src/exchange/table.js';
import { Access } from '../../src/http/access.js';
import { createApp } from '../../src/http/app.js';
import { nodeRoutes } from '../../src/http/node-routes.js';
import { ANSWER_BATCH_TYPE } from '../../src/protocol.js';
import { testConfig } from '../support/config.js';
import { type Reply, type SendOptions, send } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';

/**
 * The node:http fast path (node-routes.ts) must be invisible: every request a
 * client can send to the hot routes gets, byte for byte but for ids and times,
 * the response the Hono app alone gives it. Each scenario runs against two hubs,
 * one served through the fast path and one by the app alone, and their
 * transcripts must be equal; the fast path must also really serve what it claims
 * (a fast path that handed everything on would pass the comparison).
 */

interface Served {
  readonly url: string;
  /** Paths the fast path handed on to the app, in order. */
  readonly handedOn: string[];
  close(): Promise<void>;
}

async function serve(config: Config, fast: boolean): Promise<Served> {
  const hub = createHub(config);
  const access = new Access(loadTokens(config));
  const table = exchangeTable(hub, config);
  const app = getRequestListener(createApp(hub, config, access, table).fetch);
  const hot = nodeRoutes(table, access);
  const handedOn: string[] = [];
  const server = http.createServer((req, res) => {
    if (!fast) return void app(req, res);
    hot(req, res, (q, r) => {
      handedOn.push(`${q.method} ${q.url}`);
      void app(q, r);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handedOn,
    async close() {
      await hub.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

type Options = SendOptions;
type Scenario = (request: (path: string, options?: Options) => Promise<Reply>) => Promise<Reply[]>;

/** What may differ between two equal hubs: ids, times, the Date header. */
function normalized(reply: Reply, ids: Map<string, string>): unknown {
  // Flow ids the hub makes (32 hex digits), then job and delivery ids (nanoid's 21).
  const name = (id: string) => {
    if (!ids.has(id)) ids.set(id, `<id ${ids.size}>`);
    return ids.get(id) ?? id;
  };
  const unnamed = (text: string) =>
    text
      .replace(/\b[0-9a-f]{32}\b/g, '<flow>')
      .replace(/\b\d+ ms\b/g, '<n> ms')
      .replace(/[A-Za-z0-9_-]{21}/g, name);
  const text = unnamed(
    reply.body.toString('utf8').replace(/"(deadline|remainingMs)":\d+/g, '"$1":0'),
  );
  const headers: string[] = [];
  for (let i = 0; i < reply.rawHeaders.length; i += 2) {
    const header = (reply.rawHeaders[i] ?? '').toLowerCase();
    if (header === 'date') continue;
    const value = unnamed(reply.rawHeaders[i + 1] ?? '');
    // The body's length moves with the ids' and times' digits.
    headers.push(`${header}: ${header === 'content-length' ? '<n>' : value}`);
  }
  return { status: reply.status, headers: headers.sort(), body: text };
}

async function compare(config: Config, scenario: Scenario): Promise<string[]> {
  const transcripts: unknown[][] = [];
  let handedOn: string[] = [];
  for (const fast of [true, false]) {
    const served = await serve(config, fast);
    try {
      const replies = await scenario(
        (path, options) => send(`${served.url}${path}`, options).reply,
      );
      const ids = new Map<string, string>();
      transcripts.push(replies.map((reply) => normalized(reply, ids)));
      if (fast) handedOn = served.handedOn;
    } finally {
      await served.close();
    }
  }
  assert.deepEqual(transcripts[0], transcripts[1]);
  return handedOn;
}

const json = (value: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json', ...headers },
});

/** A caller, a worker's poll and its answer: the three hot routes in one exchange. */
function roundTrip(
  call: { path: string; options: Options },
  answer: Options,
  poll = '/service/add/jobs',
): Scenario {
  return async (request) => {
    const caller = request(call.path, call.options);
    const job = await request(poll);
    const { id } = JSON.parse(job.body.toString()) as { id: string };
    const ack = await request(`/jobs/${id}`, answer);
    return [job, ack, await caller];
  };
}

const flow = { 'hub-flow-id': 'flow-1' };

describe('the node:http fast path answers exactly as the Hono app does', () => {
  const config = testConfig({ callTimeoutMs: 1000, pollTimeoutMs: 200 });

  test('a JSON call, its job and a worker answer with a status and headers', async () => {
    const handedOn = await compare(
      config,
      roundTrip(
        { path: '/service/add', options: json({ first: 1, second: 2 }, flow) },
        {
          method: 'POST',
          body: '{"answer":3}',
          headers: {
            'content-type': 'application/json',
            'hub-status': '201',
            'hub-header-cache-control': 'no-store',
            'hub-header-set-cookie': ['a=1', 'b=2'],
          },
        },
      ),
    );
    assert.deepEqual(handedOn, [], 'the fast path served every request itself');
  });

  test('a gateway call through /call with a path, a query, bytes and an empty answer', async () => {
    const handedOn = await compare(
      config,
      roundTrip(
        {
          path: '/call/add/users/42/posts?page=2&q=a+b',
          options: {
            method: 'PUT',
            body: Buffer.from([0, 1, 2, 255]),
            headers: { 'content-type': 'application/octet-stream', 'x-user': 'u1', ...flow },
          },
        },
        { method: 'POST', body: '', headers: { 'hub-status': '204' } },
        '/service/add/jobs?encoding=base64&timeout=100',
      ),
    );
    assert.deepEqual(handedOn, []);
  });

  test('an answer that also takes the next job, and a batch poll', async () => {
    const handedOn = await compare(config, async (request) => {
      const first = request('/service/add', json({ n: 1 }, flow));
      const second = request('/service/add', json({ n: 2 }, flow));
      const job = await request('/service/add/jobs');
      const { id } = JSON.parse(job.body.toString()) as { id: string };
      const next = await request(`/jobs/${id}/response?next=add`, json({ ok: 1 }));
      const { id: nextId } = JSON.parse(next.body.toString()) as { id: string };
      const ack = await request(`/jobs/${nextId}`, json({ ok: 2 }));
      const third = request('/service/add', json({ n: 3 }, flow));
      const batch = await request('/service/add/jobs?max=5');
      const [batchJob] = JSON.parse(batch.body.toString()) as { id: string }[];
      const batchAck = await request(`/jobs/${batchJob?.id}`, json({ ok: 3 }));
      return [job, next, ack, await first, await second, batch, batchAck, await third];
    });
    assert.deepEqual(handedOn, []);
  });

  test('leases, failures, answer batches and async results are served on it too', async () => {
    const handedOn = await compare(config, async (request) => {
      const failed = request('/service/add', json({ n: 1 }, flow));
      const job = await request('/service/add/jobs');
      const { id } = JSON.parse(job.body.toString()) as { id: string };
      const lease = await request(`/jobs/${id}/heartbeat`, { method: 'POST' });
      const fail = await request(`/jobs/${id}/fail`, json({ message: 'no', retry: false }));
      const badFail = await request(`/jobs/${id}/fail`, json([1]));
      const queued = await request(
        '/service/add',
        json({ n: 2 }, { ...flow, prefer: 'respond-async' }),
      );
      const { id: jobId } = JSON.parse(queued.body.toString()) as { id: string };
      const pending = await request(`/jobs/${jobId}`);
      const [taken] = JSON.parse((await request('/service/add/jobs?max=2')).body.toString()) as {
        id: string;
      }[];
      const heads = [
        { id: taken?.id, length: 2, status: 201 },
        { id: 'nope', length: 0 },
      ];
      const batch = await request('/jobs', {
        method: 'POST',
        body: Buffer.concat([Buffer.from(`${JSON.stringify(heads)}\n`), Buffer.from('ok')]),
        headers: { 'content-type': ANSWER_BATCH_TYPE },
      });
      const done = await request(`/jobs/${jobId}?wait=1000`);
      // A lease line differs by its times alone: compare what it says, not when.
      const leaseShape = {
        ...lease,
        body: Buffer.from(lease.body.toString().replace(/\d+/g, '0')),
      };
      return [leaseShape, fail, badFail, await failed, queued, pending, batch, done];
    });
    assert.deepEqual(handedOn, []);
  });

  test('every refusal on the hot routes: bad input, unknown ids, empty polls, late answers', async () => {
    const handedOn = await compare(config, async (request) => [
      await request('/service/add', {
        method: 'POST',
        body: '{oops',
        headers: { 'content-type': 'application/json' },
      }),
      await request('/service/add', json({}, { 'hub-timeout': 'soon' })),
      await request('/service/add', json({}, { 'hub-max-attempts': '0' })),
      await request('/service/-bad', json({})),
      await request('/service/add', json({}, { 'hub-timeout': '30', ...flow })),
      await request('/service/add/jobs?timeout=0'),
      await request('/service/add/jobs?timeout=later'),
      await request('/service/add/jobs?encoding=hex'),
      await request('/service/add/jobs?max=0'),
      await request('/jobs/no-such-delivery', json({})),
      await request('/jobs/no-such-delivery?max=2', json({})),
      await request('/jobs/no-such-delivery', {
        method: 'POST',
        body: '',
        headers: { 'hub-status': '99' },
      }),
    ]);
    assert.deepEqual(handedOn, []);
  });

  test('a second answer to one delivery is 409, and a call with no workers is 503', async () => {
    const noWorkers = testConfig({ noWorkersMs: 10_000 });
    const handedOn = await compare(noWorkers, async (request) => {
      const refused = await request('/service/add', json({}, flow));
      const caller = request('/service/add', json({}, { ...flow, 'hub-no-workers': 'queue' }));
      const job = await request('/service/add/jobs');
      const { id } = JSON.parse(job.body.toString()) as { id: string };
      const ack = await request(`/jobs/${id}`, json({ ok: true }));
      return [refused, job, ack, await caller, await request(`/jobs/${id}`, json({ again: true }))];
    });
    assert.deepEqual(handedOn, []);
  });

  test('what the fast path cannot read as Hono would goes to the app, with the same answers', async () => {
    const big = 'x'.repeat(config.maxBodyBytes + 1);
    const handedOn = await compare(config, async (request) => [
      await request('/service/add', { method: 'POST', body: big }),
      await request('/service/add', {
        method: 'POST',
        body: '{"chunked":true}',
        headers: {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          'hub-timeout': '20',
        },
      }),
      await request('/service/ad%64', json({}, { 'hub-timeout': '20', ...flow })),
      await request('/service/add/jobs', { method: 'HEAD' }),
      await request('/service/add/', json({})),
      await request('/', { path: '/call/add/../admin', headers: { 'hub-timeout': '20' } }),
      await request('/call/add/', { method: 'GET', headers: { 'hub-timeout': '20', ...flow } }),
      await request('/service/add', { method: 'GET' }),
      // @hono/node-server normalizes these through `new URL` before the app sees them.
      await request('/', { path: '/call/add/a%2e%2e/b?q=%41', headers: { 'hub-timeout': '20' } }),
      ...(await roundTrip(
        { path: '/', options: { path: '/call/add/say"hi"' } },
        json({}),
      )(request)),
      await request('/service/add', {
        method: 'POST',
        body: '{}',
        headers: {
          'content-type': 'application/json',
          host: 'Hub.Example:80',
          'hub-timeout': '20',
        },
      }),
    ]);
    assert.deepEqual(handedOn, [
      'POST /service/add',
      'POST /service/add',
      'POST /service/ad%64',
      'HEAD /service/add/jobs',
      'POST /service/add/',
      'GET /call/add/../admin',
      'GET /call/add/',
      'GET /service/add',
      'GET /call/add/a%2e%2e/b?q=%41',
      'GET /call/add/say"hi"',
      'POST /service/add',
    ]);
  });

  test("with auth on, a known token is served and a refused one gets the route's own 401 or 403", async () => {
    const withAuth = testConfig({ authTokens, callTimeoutMs: 1000 });
    const as = (token: string, options: Options = {}) => ({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${token}` },
    });
    const handedOn = await compare(withAuth, async (request) => {
      const caller = request('/service/add', as(TOKENS.callerAdd, json({ a: 1 }, flow)));
      const job = await request('/service/add/jobs', as(TOKENS.workerAdd));
      const { id } = JSON.parse(job.body.toString()) as { id: string };
      return [
        await request('/service/add', json({})),
        await request('/service/mul', as(TOKENS.callerAdd, json({}))),
        await request(`/jobs/${id}`, as(TOKENS.workerMul, json({}))),
        job,
        await request(`/jobs/${id}`, as(TOKENS.workerAdd, json({ answer: 1 }))),
        await caller,
      ];
    });
    assert.deepEqual(
      handedOn.map((line) => line.replace(/\/jobs\/.*/, '/jobs/<id>')),
      ['POST /service/add', 'POST /service/mul', 'POST /jobs/<id>'],
      'only the refused requests went to the app',
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { ANSWER_BATCH_TYPE, type WireBatchResult, type WireJob } from '../../src/protocol.js';
import { type HubWorker, serveFetch } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { send } from '../support/http.js';

/** An Expires date, with the comma that breaks cookies joined into one header. */
const COOKIE_EXPIRES = new Date(Date.now() + 24 * 60 * 60 * 1000);

/** An ordinary Hono app with several routes, knowing nothing of Switchboard. */
function usersApp(): Hono {
  const app = new Hono();
  const users = new Map([['1', { id: '1', name: 'Ada' }]]);
  app.get('/users', (c) =>
    c.json([...users.values()], 200, { 'x-total-count': String(users.size) }),
  );
  app.get('/users/:id', (c) => {
    const user = users.get(c.req.param('id'));
    return user
      ? c.json(user, 200, { 'cache-control': 'max-age=60' })
      : c.json({ error: 'no such user' }, 404);
  });
  app.post('/users', async (c) => {
    const body = await c.req.json<{ name: string }>();
    const user = { id: String(users.size + 1), name: body.name };
    users.set(user.id, user);
    return c.json(user, 201, { location: `/users/${user.id}` });
  });
  app.delete('/users/:id', (c) => {
    users.delete(c.req.param('id'));
    return c.body(null, 204);
  });
  app.get('/search', (c) =>
    c.text(`q=${c.req.query('q')}; tags=${c.req.queries('tag')?.join('+')}`),
  );
  app.put('/blobs/:name', async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return c.body(bytes.reverse(), 200, {
      'content-type': c.req.header('content-type') ?? 'application/octet-stream',
      'x-seen-trace': c.req.header('x-trace') ?? '',
    });
  });
  app.post('/echo-raw', async (c) => c.text(await c.req.text()));
  app.post('/login', (c) => {
    setCookie(c, 'session', 'abc', { httpOnly: true, expires: COOKIE_EXPIRES });
    setCookie(c, 'theme', 'dark', { path: '/' });
    return c.text('welcome');
  });
  // fetch's Headers take a control byte that Node refuses to send.
  app.get('/bad-header', () => new Response('x', { headers: { 'x-bad': 'a\u0001b' } }));
  return app;
}

const IGNORED_HEADERS = new Set([
  // The hub's own: the call's flow id ([P-FLOW]).
  'hub-flow-id',
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
]);

async function snapshot(response: Response) {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!IGNORED_HEADERS.has(name)) headers[name] = value;
  });
  return {
    status: response.status,
    headers,
    body: Buffer.from(await response.arrayBuffer()).toString('base64'),
  };
}

for (const transport of ['http', 'ws'] as const)
  describe(`serveFetch (transport ${transport})`, () => {
    let server: RunningServer;
    let worker: HubWorker;
    const direct = usersApp();
    before(async () => {
      server = await startServer(testConfig());
      worker = serveFetch(usersApp().fetch, {
        hub: server.url,
        service: 'users',
        concurrency: 2,
        transport,
        logger: false,
      });
    });
    after(async () => {
      await worker.stop();
      await server.close();
    });

    const requests: [string, string, RequestInit][] = [
      ['list', '/users', {}],
      ['one', '/users/1', {}],
      ['missing', '/users/99', {}],
      [
        'create',
        '/users',
        {
          method: 'POST',
          body: '{"name": "Grace"}',
          headers: { 'content-type': 'application/json' },
        },
      ],
      ['search with repeated query keys', '/search?q=a%20b&tag=x&tag=y', {}],
      [
        'binary upload with a forwarded header',
        '/blobs/pic',
        {
          method: 'PUT',
          body: new Uint8Array([1, 2, 3, 250]),
          headers: { 'content-type': 'image/png', 'x-trace': 'abc' },
        },
      ],
      [
        'JSON bytes kept exactly',
        '/echo-raw',
        {
          method: 'POST',
          body: '{ "spaced" :  1 }',
          headers: { 'content-type': 'application/json' },
        },
      ],
      ['delete', '/users/2', { method: 'DELETE' }],
      ['unknown route', '/nowhere', {}],
    ];

    for (const [name, path, init] of requests) {
      test(`answers ${name} through /call exactly as when called directly`, async () => {
        const expected = await snapshot(await direct.request(path, init));
        const viaHub = await snapshot(await fetch(`${server.url}/call/users${path}`, init));
        assert.deepEqual(viaHub, expected);
      });
    }

    test('a Hono app answers POST /service/:name as its POST / route', async () => {
      const app = new Hono().post('/', async (c) => {
        const { first, second } = await c.req.json<{ first: number; second: number }>();
        return c.json({ answer: first + second });
      });
      const add = serveFetch(app.fetch, { hub: server.url, service: 'add', logger: false });
      try {
        const response = await fetch(`${server.url}/service/add`, {
          method: 'POST',
          body: '{"first":1,"second":2}',
          headers: { 'content-type': 'application/json' },
        });
        assert.deepEqual(await response.json(), { answer: 3 });
      } finally {
        await add.stop();
      }
    });

    // Issue 11, finding 9: two cookies reached the caller as one.
    test('[P-ANSWER-HEADERS] every Set-Cookie of a Hono app reaches the caller as its own header', async () => {
      const expected = (await direct.request('/login', { method: 'POST' })).headers.getSetCookie();
      assert.equal(expected.length, 2);
      const viaHub = await fetch(`${server.url}/call/users/login`, { method: 'POST' });
      assert.deepEqual(viaHub.headers.getSetCookie(), expected);
      assert.equal(await viaHub.text(), 'welcome');
    });

    // Issue 11, finding 10: the hub refused the whole batch for one such header.
    test('a response with a header the hub would refuse answers 500 worker_error alone', async () => {
      const [bad, good] = await Promise.all([
        fetch(`${server.url}/call/users/bad-header`),
        fetch(`${server.url}/call/users/users/1`),
      ]);
      assert.equal(bad.status, 500);
      assert.equal(bad.headers.get('hub-error'), null, "it is the worker's error, not the hub's");
      const { error } = (await bad.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'worker_error');
      assert.match(error.message, /x-bad/);
      assert.equal(good.status, 200);
    });
  });

describe('[P-ANSWER-HEADERS] repeated Set-Cookie over plain HTTP', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
  });
  after(() => server.close());

  async function answered(deliver: (job: WireJob) => Promise<unknown>): Promise<string[]> {
    const caller = fetch(`${server.url}/service/cookies`, { method: 'POST', body: '1' });
    const poll = await fetch(`${server.url}/service/cookies/jobs?timeout=2000`);
    await deliver((await poll.json()) as WireJob);
    return (await caller).headers.getSetCookie();
  }

  test('[P-ANSWER-HEADERS] two Hub-Header-Set-Cookie lines on POST /jobs/:id give two Set-Cookie lines', async () => {
    const cookies = await answered(
      (job) =>
        send(`${server.url}/jobs/${job.id}`, {
          method: 'POST',
          headers: {
            'hub-header-set-cookie': ['a=1; Expires=Wed, 01 Jan 2031 00:00:00 GMT', 'b=2'],
          },
          body: 'ok',
        }).reply,
    );
    assert.deepEqual(cookies, ['a=1; Expires=Wed, 01 Jan 2031 00:00:00 GMT', 'b=2']);
  });

  test('[P-ANSWER-HEADERS] a batch head lists cookies, and Set-Cookie in any case joins set-cookie', async () => {
    const cookies = await answered(async (job) => {
      const head = [
        { id: job.id, length: 0, headers: { 'Set-Cookie': 'a=1', 'set-cookie': ['b=2', 'c=3'] } },
      ];
      const res = await fetch(`${server.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': ANSWER_BATCH_TYPE },
        body: `${JSON.stringify(head)}\n`,
      });
      assert.deepEqual(((await res.json()) as WireBatchResult).outcomes, [{ id: job.id }]);
    });
    assert.deepEqual(cookies, ['a=1', 'b=2', 'c=3']);
  });
});

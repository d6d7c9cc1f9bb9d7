import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';
import { isJob, jobOf, maskedTextFrame, unreadingSocket, WsClient } from '../support/ws.js';

const isError = (code: string) => (f: { type?: string; code?: unknown }) =>
  f.type === 'error' && f.code === code;

describe('[P-WS-CALLER] callers over WebSocket (wsrest frames)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ wsMaxInFlight: 3 }));
  });
  after(() => server.close());

  test('[P-WS-CALLER] request frames take the HTTP routes: same statuses, headers and error codes, answered out of order by uid', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['echo'], credit: 10 });
    const caller = await WsClient.open(server.url);
    caller.send({ uid: 'slow', m: 'POST', r: '/service/echo', d: { n: 1 } });
    caller.send({
      uid: 'fast',
      m: 'POST',
      r: '/call/echo/items/7?full=1',
      h: { 'x-trace': 't' },
      d: { n: 2 },
    });
    const slow = jobOf(await worker.next(isJob));
    const fast = await worker.next(isJob);
    const fastJob = fast.job as {
      id: string;
      path: string;
      query: string;
      headers: Record<string, string>;
    };
    assert.equal(fastJob.path, '/items/7');
    assert.equal(fastJob.query, 'full=1');
    assert.equal(fastJob.headers['x-trace'], 't');
    worker.send({
      type: 'answer',
      id: fastJob.id,
      status: 202,
      body64: Buffer.from([0, 1, 2]).toString('base64'),
      contentType: 'application/octet-stream',
    });
    const first = await caller.next((f) => typeof f.uid === 'string');
    assert.equal(first.uid, 'fast', 'answers come as they complete');
    assert.equal(first.c, 202);
    assert.equal(first.r, '/call/echo/items/7?full=1');
    assert.deepEqual([...Buffer.from(String(first.d64), 'base64')], [0, 1, 2]);
    worker.send({ type: 'answer', id: slow.id, body: { ok: true } });
    const second = await caller.next((f) => f.uid === 'slow');
    assert.deepEqual({ c: second.c, d: second.d }, { c: 200, d: { ok: true } });

    // The same error as over HTTP: a body that claims JSON and is not.
    caller.send({
      uid: 'bad',
      m: 'POST',
      r: '/service/echo',
      h: { 'content-type': 'application/json' },
      d64: Buffer.from('{oops').toString('base64'),
    });
    const bad = await caller.next((f) => f.uid === 'bad');
    assert.equal(bad.c, 400);
    assert.equal((bad.h as Record<string, string>)['hub-error'], 'invalid_json');
    caller.send({ uid: 'gone', m: 'GET', r: '/nowhere' });
    assert.equal((await caller.next((f) => f.uid === 'gone')).c, 404);
    await caller.close();
    await worker.close();
  });

  test('[P-WS-CALLER] a cancel frame withdraws a queued call: its uid is answered 499 cancelled, and no worker ever gets the job', async () => {
    const caller = await WsClient.open(server.url);
    caller.send({
      uid: 'regret',
      r: '/service/withdrawn',
      h: { 'hub-timeout': '5000', 'hub-no-workers': 'queue' },
      d: {},
    });
    await until(
      async () =>
        (await server.hub.status()).services.find((s) => s.service === 'withdrawn')?.queued === 1,
      { what: 'the call to queue' },
    );
    caller.send({ type: 'cancel', uid: 'regret' });
    const answer = await caller.next((f) => f.uid === 'regret');
    assert.equal(answer.c, 499);
    assert.equal((answer.h as Record<string, string>)['hub-error'], 'cancelled');
    const withdrawn = (await server.hub.status()).services.find((s) => s.service === 'withdrawn');
    assert.deepEqual(
      { queued: withdrawn?.queued, cancelled: withdrawn?.cancelled },
      { queued: 0, cancelled: 1 },
    );
    // A uid no longer in flight: nothing happens, no error frame.
    caller.send({ type: 'cancel', uid: 'regret' });
    caller.send({ uid: 'after', m: 'GET', r: '/nowhere' });
    await caller.next((f) => f.uid === 'after');
    assert.equal(caller.pending.filter((f) => f.type === 'error').length, 0);
    await caller.close();
  });

  test('[P-WS-FRAMES] a uid already in flight, or one past HUB_WS_MAX_IN_FLIGHT, is refused alone with invalid_frame', async () => {
    const caller = await WsClient.open(server.url);
    const parked = {
      m: 'POST',
      r: '/service/nobody',
      h: { 'hub-timeout': '300', 'hub-no-workers': 'queue' },
      d: {},
    };
    caller.send({ uid: 'a', ...parked });
    caller.send({ uid: 'a', ...parked });
    const duplicate = await caller.next((f) => f.uid === 'a' && f.c === 400);
    assert.equal((duplicate.h as Record<string, string>)['hub-error'], 'invalid_frame');
    caller.send({ uid: 'b', ...parked });
    caller.send({ uid: 'c', ...parked });
    caller.send({ uid: 'd', ...parked });
    const over = await caller.next((f) => f.uid === 'd');
    assert.equal(over.c, 400);
    assert.match(
      String((over.d as { error: { message: string } }).error.message),
      /HUB_WS_MAX_IN_FLIGHT/,
    );
    // The first of each uid still gets its own answer: its deadline.
    for (const uid of ['a', 'b', 'c'])
      assert.equal((await caller.next((f) => f.uid === uid)).c, 504);
    await caller.close();
  });
});

describe('[P-WS-FRAMES] bad frames', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ wsMaxCredit: 10, wsMaxFrameBytes: 4096 }));
  });
  after(() => server.close());

  test('[P-WS-FRAMES] malformed JSON, an unknown type, a missing field and a credit past the limit each get an error frame; the socket stays usable', async () => {
    const client = await WsClient.open(server.url);
    client.send('{not json');
    await client.next(isError('invalid_json'));
    client.send({ type: 'teleport' });
    await client.next(isError('invalid_frame'));
    client.send({ type: 'answer' });
    await client.next(isError('invalid_frame'));
    client.send({ type: 'credit', credit: 1 });
    await client.next(isError('invalid_frame'));
    client.send({ type: 'serve', services: ['add'], credit: 11 });
    const overrun = await client.next(isError('invalid_frame'));
    assert.match(String(overrun.message), /HUB_WS_MAX_CREDIT/);
    client.send({ type: 'serve', services: ['bad name!'], credit: 1 });
    await client.next(isError('invalid_service_name'));
    client.send({ uid: 'ok', m: 'GET', r: '/healthz' });
    assert.equal((await client.next((f) => f.uid === 'ok')).c, 200);
    await client.close();
  });

  test('[P-WS-FRAMES] an answer, heartbeat or fail for a job the socket does not hold is not_held, and changes nothing', async () => {
    const holder = await WsClient.open(server.url);
    holder.send({ type: 'serve', services: ['held'], credit: 1 });
    const other = await WsClient.open(server.url);
    const called = fetch(`${server.url}/service/held`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    const job = jobOf(await holder.next(isJob));
    for (const type of ['answer', 'heartbeat', 'fail']) {
      other.send({ type, id: job.id });
      const refused = await other.next(isError('not_held'));
      assert.equal(refused.id, job.id);
    }
    holder.send({ type: 'answer', id: job.id, body: 'mine' });
    assert.equal(await (await called).text(), '"mine"');
    // Issue 26, item 30: a second answer is already_answered, as over HTTP.
    holder.send({ type: 'answer', id: job.id, body: 'twice' });
    await holder.next(isError('already_answered'));
    await Promise.all([holder.close(), other.close()]);
  });

  test('[P-WS-FRAMES] an oversize frame closes the socket with 1009; a binary frame with 1003; the hub stays up', async () => {
    const big = await WsClient.open(server.url);
    big.send(JSON.stringify({ uid: 'x', m: 'POST', r: '/service/add', d: 'y'.repeat(8000) }));
    assert.equal((await big.closed).code, 1009);
    const binary = await WsClient.open(server.url);
    binary.socket.send(Buffer.from([1, 2, 3]));
    assert.equal((await binary.closed).code, 1003);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('[P-WS] an upgrade without the switchboard.v1 subprotocol is refused with 400', async () => {
    assert.equal(await WsClient.refusal(server.url, { protocol: null }), 400);
    assert.equal(await WsClient.refusal(server.url, { protocol: 'other.v9' }), 400);
  });
});

describe('[P-WS-AUTH] tokens on the WebSocket channel', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ authTokens, headersTimeoutMs: 500 }));
  });
  after(() => server.close());

  test('[P-WS-AUTH] an unknown token is refused at the upgrade; without one, the first frame must be auth', async () => {
    assert.equal(await WsClient.refusal(server.url, { token: 'not-a-known-token-at-all' }), 401);
    const anonymous = await WsClient.open(server.url);
    anonymous.send({ type: 'serve', services: ['add'], credit: 1 });
    assert.equal((await anonymous.closed).code, 4401);
    // Silent: closed once HUB_HEADERS_TIMEOUT_MS has passed, holding no slot for ever.
    const silent = await WsClient.open(server.url);
    assert.equal((await silent.closed).code, 4401);
    const late = await WsClient.open(server.url);
    late.send({ type: 'auth', token: TOKENS.workerAdd });
    await late.next((f) => f.type === 'ready');
    late.send({ type: 'serve', services: ['add'], credit: 1 });
    const called = fetch(`${server.url}/service/add`, {
      method: 'POST',
      body: '{}',
      headers: { authorization: `Bearer ${TOKENS.callerAdd}`, 'content-type': 'application/json' },
    });
    const job = jobOf(await late.next(isJob));
    late.send({ type: 'answer', id: job.id, body: 1 });
    assert.equal((await called).status, 200);
    await late.close();
  });

  test('[P-WS-AUTH] each frame is authorised by what it does: serve needs a worker token for the service, requests the caller rules', async () => {
    const caller = await WsClient.open(server.url, { token: TOKENS.callerAdd });
    caller.send({ type: 'serve', services: ['add'], credit: 1 });
    await caller.next(isError('forbidden'));
    const worker = await WsClient.open(server.url, { token: TOKENS.workerAdd });
    worker.send({ type: 'serve', services: ['mul'], credit: 1 });
    await worker.next(isError('forbidden'));
    worker.send({ uid: 'w', m: 'POST', r: '/service/add', d: {} });
    assert.equal((await worker.next((f) => f.uid === 'w')).c, 403);
    // A frame's own Authorization is ignored: one socket, one token.
    worker.send({
      uid: 'x',
      m: 'POST',
      r: '/service/add',
      h: { authorization: `Bearer ${TOKENS.callerAdd}` },
      d: {},
    });
    assert.equal((await worker.next((f) => f.uid === 'x')).c, 403);
    await Promise.all([caller.close(), worker.close()]);
  });
});

describe('[P-WS-FRAMES] socket limits', () => {
  test('[P-WS-FRAMES] past HUB_WS_MAX_SOCKETS an upgrade is 503 hub_full; a closed socket frees its place', async () => {
    // The per-token limit is lower, but with auth off there are no tokens to count by.
    const server = await startServer(testConfig({ wsMaxSockets: 2, wsMaxSocketsPerToken: 1 }));
    try {
      const first = await WsClient.open(server.url);
      const second = await WsClient.open(server.url);
      assert.equal(await WsClient.refusal(server.url), 503);
      await first.close();
      // The hub counts the close when its side of the socket has closed too.
      let third: WsClient | undefined;
      await until(
        async () => {
          third = await WsClient.open(server.url).catch(() => undefined);
          return third !== undefined;
        },
        { what: 'a place after a socket closed' },
      );
      await Promise.all([second.close(), third?.close()]);
    } finally {
      await server.close();
    }
  });

  test('[P-WS-FRAMES] past HUB_WS_MAX_SOCKETS_PER_TOKEN a token gets 503; other tokens still connect', async () => {
    const server = await startServer(testConfig({ authTokens, wsMaxSocketsPerToken: 1 }));
    try {
      const first = await WsClient.open(server.url, { token: TOKENS.workerAdd });
      assert.equal(await WsClient.refusal(server.url, { token: TOKENS.workerAdd }), 503);
      const other = await WsClient.open(server.url, { token: TOKENS.callerAdd });
      await Promise.all([first.close(), other.close()]);
    } finally {
      await server.close();
    }
  });
});

describe('[P-WS-FRAMES] peers that read slowly or not at all', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ wsMaxFrameBytes: 64 * 1024, wsPingMs: 200 }));
  });
  after(() => server.close());

  test('[P-WS-FRAMES] a peer that sends and never reads is no longer read, and is cut once it has made no progress for two pings; the hub stays up', {
    timeout: 20_000,
  }, async () => {
    const socket = await unreadingSocket(server.url);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    // Each heartbeat for a job it does not hold earns a not_held error frame, a few
    // times its size; none is read. (Malformed frames would end the socket sooner:
    // issue 26 cuts a socket after MAX_INVALID_FRAMES of them.)
    const burst = Buffer.concat(
      Array.from({ length: 20_000 }, () => maskedTextFrame('{"type":"heartbeat","id":"x"}')),
    );
    for (let i = 0; i < 20 && !socket.destroyed; i++) {
      socket.write(burst);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await closed;
    await until(async () => server.hub.parked.polls === 0, { what: 'nothing left of the socket' });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

// Issue 26, item 9: a worker that reads slowly was cut as "not reading" at 4 ×
// HUB_WS_MAX_FRAME_BYTES unsent, and its jobs were handed out again.
test('[P-WS-FRAMES] a worker that reads slowly is paused, not cut: every job reaches it once, at attempt 1', {
  timeout: 30_000,
}, async () => {
  const server = await startServer(
    testConfig({ wsMaxFrameBytes: 64 * 1024, wsPingMs: 5000, callTimeoutMs: 20_000 }),
  );
  try {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['slow'], credit: 40 });
    await worker.next((f) => f.type === 'serving');
    worker.socket.pause();
    const pad = 'x'.repeat(400 * 1024);
    const calls = Array.from({ length: 40 }, (_, n) =>
      fetch(`${server.url}/service/slow`, {
        method: 'POST',
        body: JSON.stringify({ n, pad }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    // Long enough for the hub to have pushed far past its old limit while nothing is read.
    await new Promise((resolve) => setTimeout(resolve, 300));
    worker.socket.resume();
    const attempts: number[] = [];
    for (let i = 0; i < 40; i++) {
      const job = jobOf(await worker.next(isJob, 10_000));
      attempts.push(job.attempt);
      worker.send({ type: 'answer', id: job.id, body: (job.originalRequest as { n: number }).n });
    }
    const statuses = await Promise.all(calls.map(async (c) => (await c).status));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.deepEqual(new Set(attempts), new Set([1]));
    await worker.close();
  } finally {
    await server.close();
  }
});

// Pings reach each socket through the server's 'connection' event; the hub's own
// upgrade handler must still raise it, or every socket is cut at the first ping.
test('[P-WS-REDELIVER] a socket that answers pings stays open across many ping intervals', async () => {
  const server = await startServer(testConfig({ wsPingMs: 20 }));
  try {
    const client = await WsClient.open(server.url);
    let pings = 0;
    client.socket.on('ping', () => {
      pings++;
    });
    await until(() => pings >= 5, { what: 'five pings', timeoutMs: 5000 });
    assert.equal(client.socket.readyState, client.socket.OPEN);
    await client.close();
  } finally {
    await server.close();
  }
});

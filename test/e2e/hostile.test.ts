/**
 * Bad input and hostile clients against a real server: each case gets its
 * documented status (and code, where the hub itself answers), and the hub stays
 * healthy after all of them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send, until } from '../support/http.js';
import { type Received, WsClient } from '../support/ws.js';

const LIMIT = 1024;

interface Outcome {
  readonly status: number;
  readonly code?: string | undefined;
}

/** Writes raw bytes on a fresh socket; resolves the first response's status, or 0 if the socket closed without one. */
async function raw(port: number, ...parts: (string | Buffer)[]): Promise<Outcome> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  for (const part of parts) socket.write(part);
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  await Promise.race([once(socket, 'close'), once(socket, 'end')]);
  socket.destroy();
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  const code = /hub-error: ([a-z_]+)/i.exec(text)?.[1];
  return { status: status ? Number(status) : 0, code };
}

let server: RunningServer;
let port: number;

async function request(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Outcome> {
  const reply = await send(`${server.url}${path}`, options).reply;
  const code = reply.headers['hub-error'];
  return { status: reply.status, code: typeof code === 'string' ? code : undefined };
}

/** A job taken from `service`, for the cases that need a real job id. */
async function heldJob(
  service: string,
  callTimeout = '2000',
): Promise<{ id: string; call: Promise<Outcome> }> {
  const call = request(`/service/${service}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'hub-timeout': callTimeout },
    body: '{}',
  });
  const poll = await send(`${server.url}/service/${service}/jobs?timeout=1000`).reply;
  return { id: (JSON.parse(poll.body.toString()) as { id: string }).id, call };
}

const json = { 'content-type': 'application/json' };

const CASES: [string, () => Promise<Outcome>, number, string | undefined][] = [
  [
    'malformed JSON',
    () => request('/service/a', { method: 'POST', headers: json, body: '{"a":' }),
    400,
    'invalid_json',
  ],
  [
    'a form body sent as JSON',
    () => request('/service/a', { method: 'POST', headers: json, body: 'a=1&b=2' }),
    400,
    'invalid_json',
  ],
  [
    'a failure report that is not JSON',
    () =>
      request('/jobs/x/fail', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'oops',
      }),
    400,
    'invalid_json',
  ],
  [
    'a service name starting with a dash',
    () => request('/service/-a', { method: 'POST', headers: json, body: '1' }),
    400,
    'invalid_service_name',
  ],
  [
    'a 129-character service name',
    () => request(`/service/${'a'.repeat(129)}/jobs`),
    400,
    'invalid_service_name',
  ],
  [
    'a service name with an encoded slash',
    () => request('/service/a%2Fb', { method: 'POST', headers: json, body: '1' }),
    400,
    'invalid_service_name',
  ],
  ...(['-1', '99999999999', 'abc', '1.5', '1e3', ''] as const).map(
    (value): [string, () => Promise<Outcome>, number, string] => [
      `Hub-Timeout '${value}'`,
      () =>
        request('/service/a', {
          method: 'POST',
          headers: { ...json, 'hub-timeout': value },
          body: '1',
        }),
      400,
      'invalid_timeout',
    ],
  ),
  [
    'a body over the limit by Content-Length',
    () => request('/service/a', { method: 'POST', headers: json, body: `"${'x'.repeat(LIMIT)}"` }),
    413,
    'payload_too_large',
  ],
  [
    'a chunked body over the limit',
    () =>
      raw(
        port,
        'POST /service/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        `${(2 * LIMIT).toString(16)}\r\n"${'x'.repeat(2 * LIMIT - 2)}"\r\n0\r\n\r\n`,
      ),
    413,
    'payload_too_large',
  ],
  [
    'a Content-Length over the limit with a short body',
    () =>
      raw(
        port,
        `POST /service/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * LIMIT}\r\nConnection: close\r\n\r\n{}`,
      ),
    413,
    'payload_too_large',
  ],
  // The first 2 bytes are the request, a valid call that parks; the rest is not HTTP,
  // and Node's parser says so with a bare 400 (no Hub-Error: not the hub's code).
  // Issue 27, item 6: this case took any code, because the first request was
  // invalid JSON too and the two 400s raced.
  [
    'a Content-Length shorter than the body',
    () =>
      raw(
        port,
        `POST /service/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}{"a":${'1'.repeat(500)}}`,
      ),
    400,
    undefined,
  ],
  [
    'a body that never finishes (request timeout)',
    () =>
      raw(
        port,
        'POST /service/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"',
      ),
    408,
    undefined,
  ],
  [
    'headers that never finish (slow loris)',
    () => raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n'),
    408,
    undefined,
  ],
  // Within the 16 KiB, Node keeps the first 2,000 headers and the request is served.
  [
    '3,000 tiny headers',
    () =>
      raw(
        port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${'a: 1\r\n'.repeat(3000)}\r\n`,
      ),
    200,
    undefined,
  ],
  [
    '20,000 headers (over 16 KiB)',
    () => raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${'a: 1\r\n'.repeat(20_000)}\r\n`),
    431,
    undefined,
  ],
  // The request timeout (300 ms here) bounds receiving a request, never the wait for an answer.
  [
    'a call parked past the request timeout',
    () =>
      request('/service/slow', {
        method: 'POST',
        headers: { ...json, 'hub-timeout': '600' },
        body: '1',
      }),
    504,
    'timeout',
  ],
  [
    'a poll parked past the request timeout',
    () => request('/service/slow/jobs?timeout=600'),
    204,
    undefined,
  ],
  [
    'an unknown job id',
    () => request('/jobs/no-such-job', { method: 'POST', body: '{}' }),
    404,
    'unknown_job',
  ],
  [
    'a 5000-character job id',
    () => request(`/jobs/${'j'.repeat(5000)}`, { method: 'POST', body: '{}' }),
    404,
    'unknown_job',
  ],
  [
    'a heartbeat for an unknown job',
    () => request('/jobs/no-such-job/heartbeat', { method: 'POST' }),
    404,
    'unknown_job',
  ],
  [
    'a second answer',
    async () => {
      const { id, call } = await heldJob('double');
      await request(`/jobs/${id}`, { method: 'POST', body: '1' });
      await call;
      return request(`/jobs/${id}`, { method: 'POST', body: '2' });
    },
    409,
    'already_answered',
  ],
  [
    'an answer after the caller timed out',
    async () => {
      const { id, call } = await heldJob('late', '50');
      assert.equal((await call).status, 504);
      return request(`/jobs/${id}`, { method: 'POST', body: '1' });
    },
    410,
    'caller_gone',
  ],
  [
    'Hub-Status 99',
    async () => {
      const { id, call } = await heldJob('status');
      const refused = await request(`/jobs/${id}`, {
        method: 'POST',
        headers: { 'hub-status': '99' },
        body: '1',
      });
      await request(`/jobs/${id}`, { method: 'POST', body: '1' });
      await call;
      return refused;
    },
    400,
    'invalid_status',
  ],
  [
    'DELETE on a call route',
    () => request('/service/a', { method: 'DELETE' }),
    405,
    'method_not_allowed',
  ],
  [
    'PUT on an answer route',
    () => request('/jobs/x', { method: 'PUT' }),
    405,
    'method_not_allowed',
  ],
  ['an unknown path', () => request('/nope'), 404, 'not_found'],
  [
    'a bad Hub-Max-Attempts',
    () =>
      request('/service/a', {
        method: 'POST',
        headers: { ...json, 'hub-max-attempts': 'x' },
        body: '1',
      }),
    400,
    'invalid_header',
  ],
];

describe('hostile clients against a real server', () => {
  before(async () => {
    server = await startServer(
      testConfig({
        maxBodyBytes: LIMIT,
        headersTimeoutMs: 200,
        requestTimeoutMs: 300,
        callTimeoutMs: 1000,
      }),
    );
    port = server.port;
  });
  after(() => server.close());

  // A case whose timeout never fires would pass after Node's own 30 s check; the
  // bound makes it fail instead.
  for (const [name, run, status, code] of CASES) {
    test(`[P-BAD-INPUT] ${name}: ${status}${code ? ` ${code}` : ''}`, {
      timeout: 5000,
    }, async () => {
      const outcome = await run();
      assert.deepEqual(outcome, { status, code });
    });
  }

  test('[P-WS-FRAMES] 40 hostile WebSockets at once, each sending every bad frame: each gets its documented answer, the sockets live on until they break the protocol', {
    timeout: 20_000,
  }, async () => {
    const isError = (code: string) => (f: Received) => f.type === 'error' && f.code === code;
    const hubError = (f: Received) => (f.h as Record<string, string> | undefined)?.['hub-error'];
    const sockets = await Promise.all(Array.from({ length: 40 }, () => WsClient.open(server.url)));
    await Promise.all(
      sockets.map(async (socket, i) => {
        socket.send('{not json');
        socket.send({ type: 'nope' });
        socket.send({ type: 'answer', id: 'not-mine', body: 1 });
        socket.send({ type: 'credit', credit: 1 });
        socket.send({ type: 'serve', services: ['hostile'], credit: 10 ** 9 });
        const parked = {
          r: '/service/hostile',
          h: { 'hub-timeout': '200', 'hub-no-workers': 'queue' },
        };
        socket.send({ uid: 'twice', ...parked, d: 1 });
        socket.send({ uid: 'twice', ...parked, d: 2 });
        socket.send({ uid: 'huge', r: '/service/hostile', d: 'x'.repeat(LIMIT * 2) });
        await socket.next(isError('invalid_json'));
        await socket.next(isError('invalid_frame'));
        await socket.next(isError('not_held'));
        await socket.next(isError('invalid_frame'));
        await socket.next(isError('invalid_frame'));
        assert.equal(
          hubError(await socket.next((f) => f.uid === 'twice' && f.c === 400)),
          'invalid_frame',
        );
        const huge = await socket.next((f) => f.uid === 'huge');
        assert.deepEqual([huge.c, hubError(huge)], [413, 'payload_too_large']);
        assert.equal((await socket.next((f) => f.uid === 'twice')).c, 504);
        // Still usable after all that; then each breaks the protocol one way or the other.
        socket.send({ uid: 'still', m: 'GET', r: '/healthz' });
        assert.equal((await socket.next((f) => f.uid === 'still')).c, 200);
        if (i % 2 === 0) socket.socket.send(Buffer.from([1, 2, 3]), { binary: true });
        else socket.send({ uid: 'big', d: 'x'.repeat(5 * 1024 * 1024) });
        assert.equal((await socket.closed).code, i % 2 === 0 ? 1003 : 1009);
      }),
    );
    const status = await server.hub.status();
    assert.equal(status.total.webSocketWorkers, 0, 'no socket left serving');
    assert.equal(status.total.inFlight + status.total.queued, 0);
  });

  test('[P-BAD-INPUT] after all of it the hub is healthy, with nothing left parked or held', async () => {
    const { id, call } = await heldJob('healthy');
    assert.equal((await request(`/jobs/${id}`, { method: 'POST', body: '"ok"' })).status, 200);
    assert.equal((await call).status, 200);
    assert.deepEqual(server.hub.parked, { calls: 0, polls: 0 });
    const status = await server.hub.status();
    assert.equal(status.total.inFlight + status.total.queued, 0);
  });
});

// Its own server with ordinary timeouts: opening 11,000 connections takes longer
// than the 200 ms header timeout the slow-loris cases above use.
describe('a crowd against a real server', () => {
  let crowdServer: RunningServer;
  before(async () => {
    // One service holds all 10,000 callers: above its default share of parked slots.
    crowdServer = await startServer(testConfig({ maxParkedPerService: 20_000 }));
  });
  after(() => crowdServer.close());

  // Issue 12, item 9: the callers used to end by their own 3 s deadline, so on a
  // busy machine the first ones timed out before the last had arrived, and the peak
  // fell short. Now every request waits until all 11,000 are parked at once, and
  // shutdown then ends them all.
  test('[P-LIMITS] 10,000 parked callers and 1,000 parked pollers at once: all end, memory bounded', async (t) => {
    const heapBefore = process.memoryUsage().heapUsed;
    const crowd = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../support/crowd.mjs', import.meta.url)),
        crowdServer.url,
        '10000',
        '1000',
        '60000',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let peakHeap = 0;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 50);
    const summary = once(crowd.stdout, 'data') as Promise<[Buffer]>;
    await until(
      () => {
        const { calls, polls } = crowdServer.hub.parked;
        return calls === 10_000 && polls === 1000;
      },
      { what: 'all 11,000 requests parked', timeoutMs: 60_000 },
    );
    // Shutdown ends them all: parked polls get 204, queued callers 503 shutting_down.
    await crowdServer.close();
    const [line] = await summary;
    clearInterval(sampler);
    const statuses = JSON.parse(line.toString()) as Record<string, number>;
    assert.deepEqual(statuses, { '204': 1000, '503': 10_000 });

    assert.deepEqual(crowdServer.hub.parked, { calls: 0, polls: 0 });
    const growthMiB = (peakHeap - heapBefore) / 2 ** 20;
    t.diagnostic(`11,000 parked at once, JS heap growth ${growthMiB.toFixed(0)} MiB`);
    // About 13 KiB of heap per parked request (docs/benchmarks.md); 11,000 of them fit well under 400 MiB.
    assert.ok(growthMiB < 400, `heap grew ${growthMiB.toFixed(0)} MiB`);
  });
});

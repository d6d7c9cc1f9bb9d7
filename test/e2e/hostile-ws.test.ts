/**
 * The WebSocket twin of hostile.test.ts: upgrades and frames from clients that
 * mean harm, against a real server. Each case gets its documented answer, holds
 * nothing of the hub's after it leaves, and the hub stays healthy (issue 26).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send, until } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';
import { maskedTextFrame, unreadingSocket, WsClient } from '../support/ws.js';

interface RawOutcome {
  /** The response's status; 0 when none came. */
  readonly status: number;
  readonly code: string | undefined;
  /** Whether the hub closed the connection within the wait. */
  readonly closedByHub: boolean;
}

/**
 * Writes `request` on a fresh connection and waits up to `waitMs` for the hub to
 * answer and close it; the connection is then destroyed either way.
 */
async function rawExchange(port: number, request: string, waitMs = 2000): Promise<RawOutcome> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(request);
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closedByHub = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  const code = /hub-error: ([a-z_]+)/i.exec(text)?.[1];
  return { status: status ? Number(status) : 0, code, closedByHub };
}

function upgradeRequest(path: string, upgrade: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
    `Sec-WebSocket-Protocol: switchboard.v1\r\n${extra}\r\n`
  );
}

const json = { 'content-type': 'application/json' };

describe('issue 26 high: upgrades that are not a WebSocket of /ws', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ noWorkersMs: 0, callTimeoutMs: 5000 }));
  });
  after(() => server.close());

  const queuedOf = async (service: string) =>
    (await server.hub.status()).services.find((s) => s.service === service)?.queued ?? 0;

  test('[P-WS-UPGRADE] an Upgrade other than websocket is answered 400 and closed at once, on any path', async () => {
    for (const path of ['/healthz', '/service/a', '/ws', '/no/such/path']) {
      const outcome = await rawExchange(server.port, upgradeRequest(path, 'h2c'));
      assert.deepEqual(outcome, { status: 400, code: 'invalid_header', closedByHub: true }, path);
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('[P-WS-UPGRADE] a WebSocket upgrade of a poll is refused before routing: the queued job stays queued', async () => {
    const call = send(`${server.url}/service/queued`, {
      method: 'POST',
      headers: { ...json, 'hub-no-workers': 'queue' },
      body: '{"n":1}',
    }).reply;
    await until(async () => (await queuedOf('queued')) === 1, { what: 'the call queued' });
    const outcome = await rawExchange(
      server.port,
      upgradeRequest('/service/queued/jobs?timeout=0', 'websocket'),
    );
    assert.deepEqual(outcome, { status: 400, code: 'invalid_header', closedByHub: true });
    // The job was never taken: a real poll gets it as attempt 1.
    const poll = await send(`${server.url}/service/queued/jobs?timeout=1000`).reply;
    const job = JSON.parse(poll.body.toString()) as { id: string; attempt: number };
    assert.equal(job.attempt, 1);
    await send(`${server.url}/jobs/${job.id}`, { method: 'POST', headers: json, body: '2' }).reply;
    assert.equal((await call).status, 200);
  });

  test('[P-WS-UPGRADE] a WebSocket upgrade of a call queues nothing', async () => {
    const outcome = await rawExchange(
      server.port,
      upgradeRequest('/service/never', 'websocket', 'Hub-No-Workers: queue\r\n'),
    );
    assert.deepEqual(outcome, { status: 400, code: 'invalid_header', closedByHub: true });
    assert.equal(server.hub.parked.calls, 0);
    assert.equal(await queuedOf('never'), 0);
  });
});

describe('issue 26 high: request frames and streaming routes', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
  });
  after(() => server.close());

  test('[P-WS-CALLER] a request frame for a streaming route (/ui/events, /ws) is refused with 400 invalid_frame', async () => {
    const client = await WsClient.open(server.url);
    for (const [uid, r] of [
      ['sse', '/ui/events'],
      ['ws', '/ws'],
      ['ws-query', '/ws?x=1'],
    ] as const) {
      client.send({ uid, m: 'GET', r });
      const response = await client.next((f) => f.uid === uid);
      assert.equal(response.c, 400, r);
      assert.equal((response.h as Record<string, string>)['hub-error'], 'invalid_frame', r);
    }
    await client.close();
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('[P-WS-FRAMES] a request frame with a header that is not valid HTTP is invalid_frame, and its value is never echoed', async () => {
    const client = await WsClient.open(server.url);
    const secret = 'Bearer sk-live-0123456789';
    for (const [uid, h] of [
      ['value', { 'x-token': `${secret}\r\nx-evil: 1` }],
      ['name', { 'bad name': secret }],
      ['nul', { 'x-a': `${secret}\u0000` }],
    ] as const) {
      client.send({ uid, m: 'POST', r: '/service/a', h });
      const response = await client.next((f) => f.uid === uid);
      assert.equal(response.c, 400, uid);
      assert.equal((response.h as Record<string, string>)['hub-error'], 'invalid_frame', uid);
      assert.doesNotMatch(JSON.stringify(response), /sk-live/, uid);
    }
    await client.close();
  });
});

describe('issue 26 high: a socket that has not authenticated', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ authTokens }));
  });
  after(() => server.close());

  for (const [what, frame] of [
    ['text that is not JSON', 'not json'],
    ['JSON that is not an object', '1'],
    ['a frame that is not auth', '{"type":"credit","credit":1}'],
    ['an auth frame with no token', '{"type":"auth"}'],
  ] as const) {
    test(`[P-WS-AUTH] before auth, ${what} closes the socket with 4401`, async () => {
      const client = await WsClient.open(server.url);
      client.send(frame);
      assert.equal((await client.closed).code, 4401);
      assert.deepEqual(client.pending, []);
    });
  }

  test('[P-WS-AUTH] before auth, a frame over the small pre-auth limit closes the socket', async () => {
    const client = await WsClient.open(server.url);
    client.send({ type: 'auth', token: TOKENS.workerAdd, pad: 'x'.repeat(64 * 1024) });
    const { code } = await client.closed;
    assert.ok(code === 1009 || code === 4401, `closed with ${code}`);
  });

  test('[P-WS-FRAMES] after auth, a socket that keeps sending invalid frames is closed with 1008', async () => {
    const client = await WsClient.open(server.url, { token: TOKENS.workerAdd });
    for (let i = 0; i < 500; i++) client.send('{"type":"nope"}');
    assert.equal((await client.closed).code, 1008);
    const errors = client.pending.filter((f) => f.type === 'error').length;
    assert.ok(errors <= 100, `${errors} error frames before the close`);
  });
});

describe('issue 26 high: cross-site WebSockets', () => {
  let server: RunningServer;
  let listed: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
    listed = await startServer(
      testConfig({ wsAllowedOrigins: ['https://app.example.com', 'null'] }),
    );
  });
  after(() => Promise.all([server.close(), listed.close()]));

  const withOrigin = (origin: string) => `Origin: ${origin}\r\n`;

  test("[P-WS-ORIGIN] a browser origin other than the hub's own is refused with 403 forbidden", async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:1']) {
      const outcome = await rawExchange(
        server.port,
        upgradeRequest('/ws', 'websocket', withOrigin(origin)),
      );
      assert.deepEqual(outcome, { status: 403, code: 'forbidden', closedByHub: true }, origin);
    }
  });

  test("[P-WS-ORIGIN] the hub's own origin, no Origin at all, and listed origins are let in", async () => {
    const own = await rawExchange(
      server.port,
      upgradeRequest('/ws', 'websocket', withOrigin('http://127.0.0.1')),
      200,
    );
    assert.equal(own.status, 101);
    const none = await WsClient.open(server.url);
    await none.close();
    for (const origin of ['https://app.example.com', 'null']) {
      const outcome = await rawExchange(
        listed.port,
        upgradeRequest('/ws', 'websocket', withOrigin(origin)),
        200,
      );
      assert.equal(outcome.status, 101, origin);
    }
    const other = await rawExchange(
      listed.port,
      upgradeRequest('/ws', 'websocket', withOrigin('https://evil.example')),
    );
    assert.equal(other.status, 403);
  });
});

describe('issue 26: a repeated Authorization on the upgrade', () => {
  test('[P-AUTH] two Authorization headers (a valid one first) are 401 on the upgrade, the fast path and the app alike', async () => {
    const server = await startServer(testConfig({ authTokens }));
    try {
      const auth = `Authorization: Bearer ${TOKENS.workerAdd}\r\n`;
      const outcome = await rawExchange(
        server.port,
        upgradeRequest('/ws', 'websocket', auth + auth),
      );
      assert.deepEqual(outcome, { status: 401, code: 'unauthorized', closedByHub: true });
      // A poll is served by the fast path; /status by the app.
      for (const path of ['/service/add/jobs?timeout=0', '/status']) {
        const twice = await rawExchange(
          server.port,
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${auth}${auth}\r\n`,
        );
        assert.equal(twice.status, 401, path);
        assert.equal(twice.code, 'unauthorized', path);
      }
    } finally {
      await server.close();
    }
  });
});

describe('issue 26 medium: socket counts move to their token on auth', () => {
  test('[P-WS-FRAMES] a socket that authenticates by frame counts under its token; sockets still to authenticate have their own cap', async () => {
    const server = await startServer(
      testConfig({ authTokens, wsMaxSocketsPerToken: 2, wsMaxUnauthenticated: 2 }),
    );
    try {
      const byHeader = await WsClient.open(server.url, { token: TOKENS.workerAdd });
      const byFrame = await WsClient.open(server.url);
      byFrame.send({ type: 'auth', token: TOKENS.workerAdd });
      await byFrame.next((f) => f.type === 'ready');
      // The token holds two sockets now: a third by header is refused...
      assert.equal(await WsClient.refusal(server.url, { token: TOKENS.workerAdd }), 503);
      // ...and a third by frame is closed when it names the token.
      const third = await WsClient.open(server.url);
      third.send({ type: 'auth', token: TOKENS.workerAdd });
      assert.equal((await third.closed).code, 1013);
      // Two idle anonymous sockets fill the anonymous cap, and lock out no token.
      const idle = [await WsClient.open(server.url), await WsClient.open(server.url)];
      assert.equal(await WsClient.refusal(server.url), 503);
      const caller = await WsClient.open(server.url, { token: TOKENS.callerAdd });
      await Promise.all([byHeader, byFrame, caller, ...idle].map((c) => c.close()));
    } finally {
      await server.close();
    }
  });
});

describe('issue 26 medium: unsent bytes are capped for the whole hub', () => {
  test('[P-WS-FRAMES] sockets that ask for large responses and never read are cut once all sockets together hold HUB_WS_MAX_UNSENT_TOTAL_BYTES', {
    timeout: 30_000,
  }, async () => {
    // Pings and stalls far off: only the hub-wide cap can cut these sockets in time.
    const server = await startServer(
      testConfig({ wsPingMs: 60_000, wsMaxUnsentTotalBytes: 2 * 1024 * 1024 }),
    );
    try {
      const sockets = await Promise.all([1, 2, 3].map(() => unreadingSocket(server.url)));
      // A paused socket sees the hub's close only once it reads what came before it.
      const closed = sockets.map(
        (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      for (const [i, socket] of sockets.entries()) {
        socket.on('error', () => {});
        // Distinct uids: each frame is a request of its own. 1000 responses of
        // 89 KB are more than loopback's kernel buffers take (up to 36 MB).
        const frames = Array.from({ length: 1000 }, (_, n) =>
          maskedTextFrame(`{"uid":"${i}-${n}","m":"GET","r":"/openapi.json"}`),
        );
        socket.write(Buffer.concat(frames));
      }
      // Time for the hub to handle a few turns of frames; then read and throw away
      // whatever was sent: a socket the hub cut ends, one it did not stays open.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const socket of sockets) socket.resume();
      await Promise.all(closed);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('issue 26 low: one rule on the fast path and the app', () => {
  test('[P-CALL] a GET to /call with a body is 400 invalid_header: with a length (fast path), chunked (the app), or as a frame', async () => {
    const server = await startServer(testConfig({ noWorkersMs: 0 }));
    try {
      const sized = await rawExchange(
        server.port,
        'GET /call/svc/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello',
      );
      const chunked = await rawExchange(
        server.port,
        'GET /call/svc/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      );
      // And as a request frame: the same exchange, the same rule.
      const caller = await WsClient.open(server.url);
      caller.send({ uid: 'g', m: 'GET', r: '/call/svc/x', d: 'hello' });
      const framed = await caller.next((frame) => frame.uid === 'g');
      caller.socket.close();
      for (const outcome of [sized, chunked]) {
        assert.equal(outcome.status, 400);
        assert.equal(outcome.code, 'invalid_header');
      }
      assert.equal(framed.c, 400);
      assert.equal((framed.h as Record<string, string>)['hub-error'], 'invalid_header');
      assert.equal(server.hub.parked.calls, 0);
    } finally {
      await server.close();
    }
  });

  test('[P-INVALID-JSON] a JSON body with a byte-order mark is refused with a message that says so', async () => {
    const server = await startServer(testConfig());
    try {
      const response = await fetch(`${server.url}/service/bom`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]),
      });
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'invalid_json');
      assert.match(error.message, /byte-order mark/);
    } finally {
      await server.close();
    }
  });
});

// Issue 26, item 30: `Hub-Timeout: 999999` was refused with a message that did not
// name the header.
test('[P-TIMEOUT-HEADER] a timeout out of range is refused with a message that names its header', async () => {
  const server = await startServer(testConfig());
  try {
    const message = async (path: string, init: RequestInit) => {
      const response = await fetch(`${server.url}${path}`, init);
      assert.equal(response.status, 400, path);
      return ((await response.json()) as { error: { message: string } }).error.message;
    };
    const post = (headers: Record<string, string>) => ({
      method: 'POST',
      headers: { ...json, ...headers },
      body: '{}',
    });
    assert.match(await message('/service/a', post({ 'hub-timeout': '999999' })), /^Hub-Timeout /);
    assert.match(
      await message('/service/a', post({ 'hub-queue-timeout': '0' })),
      /^Hub-Queue-Timeout /,
    );
    assert.match(await message('/service/a/jobs?timeout=99999999', {}), /\?timeout or Hub-Timeout/);
  } finally {
    await server.close();
  }
});

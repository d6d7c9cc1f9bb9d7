/**
 * Topic subscribers on a real server, on each store (docs/events.md): msgbus's
 * WebSocket subscription and Server-Sent Events, each message once and in
 * order, resumed after a dropped connection with no gap and no duplicate, a
 * slow subscriber cut without stalling the others.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { CloseCode } from '../../src/protocol.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';
import { authTokens, TOKENS } from '../support/tokens.js';

interface Frame {
  id: number;
  topic: { name: string; seq: number };
  payload: string;
}

const STORES: { name: string; config: () => Partial<Config>; skip: string | false }[] = [
  { name: 'memory store', config: () => ({}), skip: false },
  {
    name: 'Redis store',
    config: () => ({ store: 'redis', redisUrl: REDIS_URL, redisPrefix: testPrefix() }),
    skip: needsRedis.skip,
  },
];

/** A msgbus subscriber: every frame's message, decoded, as it comes. */
function subscriber(server: RunningServer, topic: string, query = '', headers = {}) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/topics/${topic}${query}`, {
    headers,
  });
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = once(socket, 'close') as Promise<[number, Buffer]>;
  return { socket, frames, closed, opened: once(socket, 'open') };
}

const texts = (frames: readonly Frame[]) =>
  frames.map((f) => Buffer.from(f.payload, 'base64').toString());

async function publish(server: RunningServer, topic: string, body: string | Buffer) {
  const res = await fetch(`${server.url}/topics/${topic}`, { method: 'PUT', body });
  assert.equal(res.status, 200, await res.text());
}

/** Reads an event stream's events (id, event, data) as they come. */
async function events(res: Response, into: { id?: string; event?: string; data: string }[]) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event: { id?: string; event?: string; data: string } = { data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(': ');
        if (line.startsWith(':') || colon === -1) continue;
        const [field, value] = [line.slice(0, colon), line.slice(colon + 2)];
        if (field === 'data') event.data = value;
        else if (field === 'id' || field === 'event') event[field] = value;
      }
      if (event.data !== '') into.push(event);
    }
  }
}

for (const store of STORES)
  describe(`Topic subscribers (${store.name})`, { skip: store.skip }, () => {
    async function hub(t: { after: (fn: () => unknown) => void }, overrides: Partial<Config> = {}) {
      const server = await startServer(testConfig({ ...store.config(), ...overrides }));
      t.after(() => server.close());
      return server;
    }

    test("[P-TOPIC-WS] a msgbus subscriber gets each message published after it subscribed as one frame of msgbus's JSON, in order, and the queue is not consumed", async (t) => {
      const server = await hub(t);
      await publish(server, 'news', 'before');
      const sub = subscriber(server, 'news');
      await sub.opened;
      await until(() => server.hub.topics.subscribers('news') === 1, { what: 'subscribed' });
      // Subscribed is not yet live: the first message may race the store's look.
      for (const body of ['one', 'two', 'three']) await publish(server, 'news', body);
      await until(() => sub.frames.length === 3, { what: 'three frames' });
      assert.deepEqual(texts(sub.frames), ['one', 'two', 'three']);
      assert.deepEqual(
        sub.frames.map((f) => [f.id, f.topic.name, f.topic.seq]),
        [
          [1, 'news', 2],
          [2, 'news', 3],
          [3, 'news', 4],
        ],
      );
      const pulled = (await (await fetch(`${server.url}/topics/news`)).json()) as Frame;
      assert.equal(pulled.id, 0);
      sub.socket.close();
      await sub.closed;
      await until(() => server.hub.topics.subscribers('news') === 0, { what: 'let go' });
    });

    test('[P-TOPIC-WS] the Upgrade header is matched whatever its case', async (t) => {
      const server = await hub(t);
      const socket = connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        'GET /topics/news HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const [head] = (await once(socket, 'data')) as [Buffer];
      assert.match(String(head), /^HTTP\/1\.1 101 /);
      socket.destroy();
    });

    test('[P-TOPIC-RESUME] a subscriber that reconnects with ?after=<last id> gets what it missed, with no gap and no duplicate', async (t) => {
      const server = await hub(t);
      for (let i = 0; i < 5; i++) await publish(server, 'feed', `m${i}`);
      const first = subscriber(server, 'feed', '?after=-1');
      await until(() => first.frames.length === 5, { what: 'the backlog' });
      await publish(server, 'feed', 'm5');
      await until(() => first.frames.length === 6, { what: 'a live one' });
      first.socket.close();
      await first.closed;
      for (let i = 6; i < 10; i++) await publish(server, 'feed', `m${i}`);
      const lastId = (first.frames.at(-1) as Frame).id;
      const second = subscriber(server, 'feed', `?after=${lastId}`);
      await second.opened;
      // Published while it catches up: still once each, in order.
      const racing = (async () => {
        for (let i = 10; i < 20; i++) await publish(server, 'feed', `m${i}`);
      })();
      await racing;
      await until(() => second.frames.length === 14, { what: 'the rest' });
      const all = [...texts(first.frames), ...texts(second.frames)];
      assert.deepEqual(
        all,
        Array.from({ length: 20 }, (_, i) => `m${i}`),
      );
      second.socket.close();
    });

    test('[P-TOPIC-SLOW] a subscriber that stops reading is cut once its buffer fills, with its last id; the others and the publishers carry on', async (t) => {
      const server = await hub(t, { topicSubscriberBufferBytes: 64 * 1024 });
      const slow = subscriber(server, 'firehose');
      const fast = subscriber(server, 'firehose');
      await Promise.all([slow.opened, fast.opened]);
      await until(() => server.hub.topics.subscribers('firehose') === 2, {
        what: 'both subscribed',
      });
      // The slow one stops reading: its socket's buffers fill, then the hub's.
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      const body = Buffer.alloc(64 * 1024, 'x');
      const count = 300;
      for (let i = 0; i < count; i++) await publish(server, 'firehose', body);
      await until(() => fast.frames.length === count, {
        timeoutMs: 10_000,
        what: 'the fast one got all',
      });
      assert.deepEqual(
        fast.frames.map((f) => f.id),
        Array.from({ length: count }, (_, i) => i),
      );
      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      const [code, reason] = await slow.closed;
      assert.equal(code, CloseCode.SubscriberTooSlow);
      const said = JSON.parse(String(reason)) as { reason: string; lastId: number };
      assert.equal(said.reason, 'slow');
      assert.ok(said.lastId < count - 1, `cut before the end, at ${said.lastId}`);
      // It resumes where it was cut and misses nothing.
      const again = subscriber(server, 'firehose', `?after=${said.lastId}`);
      await until(() => again.frames.length === count - 1 - said.lastId, {
        timeoutMs: 10_000,
        what: 'the resumed rest',
      });
      assert.equal(again.frames[0]?.id, said.lastId + 1);
      again.socket.close();
      fast.socket.close();
    });

    test('[P-TOPIC-DELETE] deleting a topic closes its subscribers with 4410', async (t) => {
      const server = await hub(t);
      const sub = subscriber(server, 'doomed');
      await sub.opened;
      await until(() => server.hub.topics.subscribers('doomed') === 1, { what: 'subscribed' });
      await publish(server, 'doomed', 'x');
      assert.equal((await fetch(`${server.url}/topics/doomed`, { method: 'DELETE' })).status, 204);
      const [code] = await sub.closed;
      assert.equal(code, CloseCode.TopicDeleted);
    });

    test('[P-TOPIC-SSE] Accept: text/event-stream streams each message with its id; Last-Event-ID resumes with no gap and no duplicate', async (t) => {
      const server = await hub(t);
      for (let i = 0; i < 3; i++) await publish(server, 'sse', `m${i}`);
      const abort = new AbortController();
      const got: { id?: string; event?: string; data: string }[] = [];
      const res = await fetch(`${server.url}/topics/sse?after=-1`, {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reading = events(res, got).catch(() => {});
      await publish(server, 'sse', 'm3');
      await until(() => got.length === 4, { what: 'four events' });
      abort.abort();
      await reading;
      await publish(server, 'sse', 'm4');
      const resumed: typeof got = [];
      const abort2 = new AbortController();
      const res2 = await fetch(`${server.url}/topics/sse`, {
        headers: { accept: 'text/event-stream', 'last-event-id': got.at(-1)?.id ?? '' },
        signal: abort2.signal,
      });
      const reading2 = events(res2, resumed).catch(() => {});
      await publish(server, 'sse', 'm5');
      await until(() => resumed.length === 2, { what: 'two more' });
      abort2.abort();
      await reading2;
      const all = [...got, ...resumed].map((e) => {
        const frame = JSON.parse(e.data) as Frame;
        assert.equal(e.id, String(frame.id));
        return Buffer.from(frame.payload, 'base64').toString();
      });
      assert.deepEqual(all, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    });

    test('[P-EVENT-PUBLISH] ?version= keeps one version of the envelopes POST /events?publish sends to a topic, on an event stream and a msgbus WebSocket; resuming skips none', async (t) => {
      const server = await hub(t);
      const send = (version: number, n: number) =>
        fetch(`${server.url}/events?publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"name":"orders","version":${version},"id":"e${n}","flowId":"f","payload":{"n":${n}}}`,
        });
      for (const [version, n] of [
        [1, 0],
        [2, 1],
        [1, 2],
      ] as const) {
        assert.equal((await send(version, n)).status, 200);
      }
      await publish(server, 'orders', 'not an event');
      const abort = new AbortController();
      t.after(() => abort.abort());
      const got: { id?: string; data: string }[] = [];
      const res = await fetch(`${server.url}/topics/orders?after=-1&version=2`, {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      assert.equal(res.status, 200);
      const reading = events(res, got).catch(() => {});
      const ws = subscriber(server, 'orders', '?after=-1&version=1');
      await ws.opened;
      await send(2, 3);
      await send(1, 4);
      const payloadN = (frame: Frame) =>
        (JSON.parse(Buffer.from(frame.payload, 'base64').toString()) as { payload: { n: number } })
          .payload.n;
      await until(() => got.length === 2 && ws.frames.length === 3, { what: 'filtered messages' });
      assert.deepEqual(
        got.map((e) => payloadN(JSON.parse(e.data) as Frame)),
        [1, 3],
      );
      assert.deepEqual(ws.frames.map(payloadN), [0, 2, 4]);
      abort.abort();
      await reading;
      ws.socket.close();
      const bad = await fetch(`${server.url}/topics/orders?version=0`, {
        headers: { accept: 'text/event-stream' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('hub-error'), 'invalid_header');
    });

    test('[P-TOPIC-AUTH] with auth on, a subscriber upgrades with a token that lists the topic under subscribe', async (t) => {
      const server = await hub(t, { authTokens });
      const none = subscriber(server, 'orders');
      const [, noneRes] = (await once(none.socket, 'unexpected-response')) as [
        unknown,
        { statusCode: number },
      ];
      assert.equal(noneRes.statusCode, 401);
      const wrong = subscriber(server, 'orders', '', {
        authorization: `Bearer ${TOKENS.callerAdd}`,
      });
      const [, wrongRes] = (await once(wrong.socket, 'unexpected-response')) as [
        unknown,
        { statusCode: number },
      ];
      assert.equal(wrongRes.statusCode, 403);
      const ok = subscriber(server, 'orders', '', { authorization: `Bearer ${TOKENS.workerAdd}` });
      await ok.opened;
      ok.socket.close();
    });

    test('[P-TOPIC-WS] shutdown closes subscribers with 1001', async () => {
      const server = await startServer(testConfig(store.config()));
      const sub = subscriber(server, 'bye');
      await sub.opened;
      await until(() => server.hub.topics.subscribers('bye') === 1, { what: 'subscribed' });
      await server.close();
      const [code] = await sub.closed;
      assert.equal(code, CloseCode.GoingAway);
    });
  });

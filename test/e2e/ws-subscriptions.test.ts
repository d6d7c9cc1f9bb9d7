/**
 * Topic subscriptions on the hub's WebSocket channel (`/ws`), on each store:
 * wsrest's rules (docs/websocket.md, [P-WS-SUBSCRIBE]), and none of wsrest's
 * own defects: after an unsubscribe nothing more arrives for it, and two
 * subscriptions to one topic never double each other's messages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { splitBinaryFrame } from '../../src/protocol.js';
import { testConfig } from '../support/config.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';
import { authTokens, TOKENS } from '../support/tokens.js';
import { type Received, WsClient } from '../support/ws.js';

const STORES: { name: string; config: () => Partial<Config>; skip: string | false }[] = [
  { name: 'memory store', config: () => ({}), skip: false },
  {
    name: 'Redis store',
    config: () => ({ store: 'redis', redisUrl: REDIS_URL, redisPrefix: testPrefix() }),
    skip: needsRedis.skip,
  },
];

async function publish(server: RunningServer, topic: string, body: string | Buffer) {
  const res = await fetch(`${server.url}/topics/${topic}`, { method: 'POST', body });
  assert.equal(res.status, 200, await res.text());
}

const isMessage = (sid: string) => (frame: Received) =>
  frame.type === 'message' && frame.sid === sid;
const bodyOf = (frame: Received) => Buffer.from(String(frame.body64), 'base64').toString();

/** Every frame `client` has received and not taken, after a pause long enough for stragglers. */
async function settled(client: WsClient): Promise<readonly Received[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return client.pending;
}

for (const store of STORES)
  describe(`WebSocket subscriptions (${store.name})`, { skip: store.skip }, () => {
    async function hub(t: { after: (fn: () => unknown) => void }, overrides: Partial<Config> = {}) {
      const server = await startServer(testConfig({ ...store.config(), ...overrides }));
      t.after(() => server.close());
      return server;
    }

    test('[P-WS-SUBSCRIBE] subscribe is acknowledged, then each message arrives in order, once, with its bytes', async (t) => {
      const server = await hub(t);
      await publish(server, 'orders', 'old');
      const client = await WsClient.open(server.url);
      t.after(() => client.close());
      client.send({ type: 'subscribe', sid: 's1', topic: 'orders', after: -1 });
      assert.deepEqual(await client.next((f) => f.type === 'subscribed'), {
        type: 'subscribed',
        sid: 's1',
        topic: 'orders',
      });
      const first = await client.next(isMessage('s1'));
      assert.deepEqual([first.id, first.topic, bodyOf(first)], [0, 'orders', 'old']);
      assert.equal(typeof first.publishedAt, 'number');
      for (let i = 1; i <= 20; i++) await publish(server, 'orders', `m${i}`);
      const rest: Received[] = [];
      for (let i = 1; i <= 20; i++) rest.push(await client.next(isMessage('s1')));
      assert.deepEqual(
        rest.map((f) => [f.id, bodyOf(f)]),
        Array.from({ length: 20 }, (_, i) => [i + 1, `m${i + 1}`]),
      );
      assert.deepEqual(await settled(client), []);
    });

    test('[P-EVENT-PUBLISH] a subscribe frame with a version gets only that version of the envelopes published to the topic', async (t) => {
      const server = await hub(t);
      for (const [version, n] of [
        [1, 0],
        [2, 1],
        [2, 2],
        [1, 3],
      ] as const) {
        const res = await fetch(`${server.url}/events?publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"name":"signup","version":${version},"id":"e${n}","flowId":"f","payload":{"n":${n}}}`,
        });
        assert.equal(res.status, 200);
      }
      const client = await WsClient.open(server.url);
      t.after(() => client.close());
      client.send({ type: 'subscribe', sid: 'v2', topic: 'signup', after: -1, version: 2 });
      await client.next((f) => f.type === 'subscribed');
      const got = [await client.next(isMessage('v2')), await client.next(isMessage('v2'))];
      assert.deepEqual(
        got.map((f) => (JSON.parse(bodyOf(f)) as { payload: { n: number } }).payload.n),
        [1, 2],
      );
      assert.deepEqual(await settled(client), []);
      client.send({ type: 'subscribe', sid: 'bad', topic: 'signup', version: 0 });
      const refused = await client.next((f) => f.type === 'error');
      assert.equal(refused.code, 'invalid_frame');
    });

    test('[P-WS-SUBSCRIBE] under switchboard.v2 a message is a binary frame: its head, a newline, its exact bytes', async (t) => {
      const server = await hub(t);
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, ['switchboard.v2']);
      t.after(() => socket.close());
      const binaries: Buffer[] = [];
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) binaries.push(data);
      });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'subscribe', sid: 'b', topic: 'bytes' }));
      await new Promise((resolve) => socket.once('message', resolve));
      const bytes = Buffer.from([0, 10, 255, 13, 10, 0x80]);
      await publish(server, 'bytes', bytes);
      for (let i = 0; i < 100 && binaries.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      const split = splitBinaryFrame(binaries[0] as Buffer);
      assert.ok(split);
      const head = JSON.parse(split.head) as Record<string, unknown>;
      assert.deepEqual([head.type, head.sid, head.topic, head.id], ['message', 'b', 'bytes', 0]);
      assert.deepEqual(Buffer.from(split.body), bytes);
    });

    test('[P-WS-SUBSCRIBE] an unsubscribe never discards a message published before it, and nothing arrives after its acknowledgement', async (t) => {
      const server = await hub(t);
      const client = await WsClient.open(server.url);
      t.after(() => client.close());
      client.send({ type: 'subscribe', sid: 'u', topic: 'burst' });
      await client.next((f) => f.type === 'subscribed');
      await Promise.all(Array.from({ length: 50 }, (_, i) => publish(server, 'burst', `m${i}`)));
      client.send({ type: 'unsubscribe', sid: 'u' });
      const done = await client.next((f) => f.type === 'unsubscribed');
      assert.deepEqual([done.sid, done.reason, done.lastId], ['u', 'unsubscribed', 49]);
      const got = client.pending.filter(isMessage('u')).map((f) => f.id);
      assert.deepEqual(
        got,
        Array.from({ length: 50 }, (_, i) => i),
      );
      (client.pending as Received[]).splice(0);
      await publish(server, 'burst', 'after');
      assert.deepEqual(await settled(client), []);
    });

    test("[P-WS-SUBSCRIBE] two subscriptions to one topic each get every message once; ending one changes nothing for the other (wsrest's defects)", async (t) => {
      const server = await hub(t);
      const client = await WsClient.open(server.url);
      const other = await WsClient.open(server.url);
      t.after(() => client.close());
      t.after(() => other.close());
      for (const [socket, sid] of [
        [client, 'a'],
        [client, 'b'],
        [other, 'c'],
      ] as const) {
        socket.send({ type: 'subscribe', sid, topic: 'shared' });
        await socket.next((f) => f.type === 'subscribed' && f.sid === sid);
      }
      await publish(server, 'shared', 'one');
      client.send({ type: 'unsubscribe', sid: 'a' });
      await client.next((f) => f.type === 'unsubscribed' && f.sid === 'a');
      for (const body of ['two', 'three']) await publish(server, 'shared', body);
      await other.next((f) => f.type === 'message' && f.id === 2);
      const frames = await settled(client);
      const count = (sid: string) => frames.filter(isMessage(sid)).map(bodyOf);
      assert.deepEqual(count('a'), ['one']);
      assert.deepEqual(count('b'), ['one', 'two', 'three']);
      assert.deepEqual(other.pending.filter(isMessage('c')).map(bodyOf), ['one', 'two']);
    });

    test('[P-WS-SUBSCRIBE] a bad subscribe or unsubscribe gets an error frame naming its sid, and the socket serves on', async (t) => {
      const server = await hub(t);
      const client = await WsClient.open(server.url);
      t.after(() => client.close());
      client.send({ type: 'subscribe', sid: 'x', topic: 'bad name' });
      const badName = await client.next((f) => f.type === 'error');
      assert.deepEqual([badName.sid, badName.code], ['x', 'invalid_topic_name']);
      client.send({ type: 'subscribe', sid: 'y', topic: 'fine', after: 'soon' });
      assert.equal((await client.next((f) => f.type === 'error')).code, 'invalid_frame');
      client.send({ type: 'subscribe', sid: 'z', topic: 'fine' });
      await client.next((f) => f.type === 'subscribed');
      client.send({ type: 'subscribe', sid: 'z', topic: 'fine' });
      assert.equal((await client.next((f) => f.type === 'error')).sid, 'z');
      client.send({ type: 'unsubscribe', sid: 'nobody' });
      assert.equal((await client.next((f) => f.type === 'error')).code, 'invalid_frame');
      await publish(server, 'fine', 'still');
      assert.equal(bodyOf(await client.next(isMessage('z'))), 'still');
    });

    test('[P-WS-SUBSCRIBE] with auth on, a subscription needs a token that lists the topic under subscribe', async (t) => {
      const server = await hub(t, { authTokens });
      const caller = await WsClient.open(server.url, { token: TOKENS.callerAdd });
      t.after(() => caller.close());
      caller.send({ type: 'subscribe', sid: 'n', topic: 'orders' });
      const refused = await caller.next((f) => f.type === 'error');
      assert.deepEqual([refused.sid, refused.code], ['n', 'forbidden']);
      const reader = await WsClient.open(server.url, { token: TOKENS.workerAdd });
      t.after(() => reader.close());
      reader.send({ type: 'subscribe', sid: 'y', topic: 'orders' });
      await reader.next((f) => f.type === 'subscribed');
    });

    test('[P-TOPIC-SLOW] over /ws, a subscription that falls behind is ended with its last id; another socket on the topic misses nothing', async (t) => {
      const server = await hub(t, { topicSubscriberBufferBytes: 64 * 1024 });
      const slow = await WsClient.open(server.url);
      const fast = await WsClient.open(server.url);
      t.after(() => fast.close());
      for (const socket of [slow, fast]) {
        socket.send({ type: 'subscribe', sid: 's', topic: 'hose' });
        await socket.next((f) => f.type === 'subscribed');
      }
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      const body = Buffer.alloc(64 * 1024, 'y');
      const count = 200;
      for (let i = 0; i < count; i++) await publish(server, 'hose', body);
      for (let i = 0; i < count; i++) await fast.next(isMessage('s'), 10_000);
      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      const ended = await slow.next((f) => f.type === 'unsubscribed', 10_000);
      assert.equal(ended.reason, 'slow');
      assert.ok((ended.lastId as number) < count - 1);
      const ids = slow.pending.filter(isMessage('s')).map((f) => f.id);
      assert.deepEqual(
        ids,
        Array.from({ length: (ended.lastId as number) + 1 }, (_, i) => i),
      );
      await slow.close();
    });
  });

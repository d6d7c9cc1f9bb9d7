/**
 * Topics over every channel and store (docs/events.md): msgbus's API under
 * `/topics`, and what Switchboard adds to it. Subscriptions (WebSocket, SSE)
 * are in test/e2e/topic-subscribers.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHANNELS, HTTP_CHANNELS, type RequestTarget } from '../support/channels.js';
import { authTokens, TOKENS } from '../support/tokens.js';

type App = Pick<RequestTarget, 'request'>;

/** msgbus's `Message`, as its Go client decodes it. */
interface MsgbusMessage {
  id: number;
  topic: { name: string; ttl: number; seq: number; created: string };
  payload: string;
  created: string;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function publish(app: App, topic: string, body: NonNullable<RequestInit['body']>, method = 'PUT') {
  return app.request(`/topics/${topic}`, { method, body });
}

async function pulled(res: Response): Promise<MsgbusMessage> {
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'application/json');
  return (await res.json()) as MsgbusMessage;
}

const payloadText = (message: MsgbusMessage) => Buffer.from(message.payload, 'base64').toString();

for (const channel of CHANNELS)
  describe(`Topics: msgbus's API under /topics (${channel.name})`, () => {
    test("[P-TOPIC-MSGBUS] PUT and POST publish and answer msgbus's 2018 text; GET pulls msgbus's JSON, oldest first, each once", async (t) => {
      const app = await channel.open(t);
      const first = await publish(app, 'hello', 'hello world');
      assert.equal(first.status, 200);
      assert.equal(await first.text(), 'message successfully published to hello with sequence 0');
      assert.equal(first.headers.get('hub-message-id'), '0');
      const second = await publish(app, 'hello', 'two', 'POST');
      assert.equal(await second.text(), 'message successfully published to hello with sequence 1');

      const one = await pulled(await app.request('/topics/hello'));
      assert.equal(one.id, 0);
      assert.equal(payloadText(one), 'hello world');
      assert.equal(one.topic.name, 'hello');
      assert.equal(one.topic.seq, 1);
      assert.equal(one.topic.ttl, 3_600_000 * 1_000_000);
      assert.match(one.created, RFC3339);
      assert.match(one.topic.created, RFC3339);
      assert.equal(payloadText(await pulled(await app.request('/topics/hello'))), 'two');

      const none = await app.request('/topics/hello');
      assert.equal(none.status, 404);
      assert.equal(none.headers.get('hub-error'), 'no_messages');
      const body = (await none.json()) as { error: { message: string } };
      assert.equal(body.error.message, 'no messages enqueued for topic: hello');
    });

    test('[P-TOPIC-MSGBUS] GET /topics/ lists the topics keyed by name, with counts and retention', async (t) => {
      const app = await channel.open(t);
      await publish(app, 'a', 'x');
      await publish(app, 'a', 'yz');
      await publish(app, 'b', 'x');
      await pulled(await app.request('/topics/a'));
      const res = await app.request('/topics/');
      assert.equal(res.status, 200);
      const listing = (await res.json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(listing), ['a', 'b']);
      assert.deepEqual(
        {
          name: listing.a?.name,
          seq: listing.a?.seq,
          messages: listing.a?.messages,
          bytes: listing.a?.bytes,
          queued: listing.a?.queued,
        },
        { name: 'a', seq: 2, messages: 2, bytes: 3, queued: 1 },
      );
      assert.deepEqual(listing.a?.retention, {
        maxAgeMs: 3_600_000,
        maxMessages: 100_000,
        maxBytes: 64 * 1024 * 1024,
        discard: 'new',
      });
      assert.deepEqual(await (await app.request('/topics')).json(), listing);
    });

    test('[P-TOPIC-NAME] a pull of a topic nobody published to is 404 and creates nothing; a bad name is 400', async (t) => {
      const app = await channel.open(t);
      assert.equal((await app.request('/topics/nobody')).status, 404);
      assert.deepEqual(await (await app.request('/topics/')).json(), {});
      const bad = await publish(app, '-starts-with-dash', 'x');
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('hub-error'), 'invalid_topic_name');
    });

    test('[P-TOPIC-QUEUE] a body comes back byte for byte, whatever its bytes', async (t) => {
      const app = await channel.open(t);
      const bytes = Buffer.from([0, 1, 2, 10, 13, 255, 254, 0x80, 0x22]);
      await publish(app, 'bin', bytes);
      const message = await pulled(await app.request('/topics/bin'));
      assert.deepEqual(Buffer.from(message.payload, 'base64'), bytes);
    });

    test('[P-TOPIC-CURSOR] ?after=<id> reads the next message without consuming it; -1 starts from the oldest', async (t) => {
      const app = await channel.open(t);
      for (const body of ['a', 'b', 'c']) await publish(app, 'log', body);
      const oldest = await pulled(await app.request('/topics/log?after=-1'));
      assert.equal(oldest.id, 0);
      const next = await pulled(await app.request('/topics/log?after=0'));
      assert.deepEqual([next.id, payloadText(next)], [1, 'b']);
      assert.equal((await app.request('/topics/log?after=2')).status, 404);
      // The queue still has all three.
      assert.equal((await pulled(await app.request('/topics/log'))).id, 0);
      const bad = await app.request('/topics/log?after=x');
      assert.equal(bad.status, 400);
    });

    test('[P-TOPIC-CURSOR] a cursor behind what retention kept gets the oldest kept, and Hub-Skipped says how many it lost', async (t) => {
      const app = await channel.open(t);
      const set = await app.request('/topics/short', {
        method: 'PATCH',
        body: JSON.stringify({ maxMessages: 2, discard: 'old' }),
      });
      assert.equal(set.status, 200, await set.clone().text());
      for (const body of ['a', 'b', 'c', 'd']) await publish(app, 'short', body);
      const res = await app.request('/topics/short?after=0');
      assert.equal(res.headers.get('hub-skipped'), '1');
      assert.equal((await pulled(res)).id, 2);
    });

    test('[P-TOPIC-WAIT] ?wait=<ms> waits for the next message instead of answering 404', async (t) => {
      const app = await channel.open(t);
      const waiting = app.request('/topics/later?wait=2000');
      const cursor = app.request('/topics/later?after=-1&wait=2000');
      await new Promise((resolve) => setTimeout(resolve, 30));
      await publish(app, 'later', 'now');
      assert.equal(payloadText(await pulled(await waiting)), 'now');
      assert.equal(payloadText(await pulled(await cursor)), 'now');
      const empty = await app.request('/topics/later?wait=20');
      assert.equal(empty.status, 404);
      const tooLong = await app.request('/topics/later?wait=999999999');
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.headers.get('hub-error'), 'invalid_timeout');
    });

    test("[P-TOPIC-RETENTION] a full topic refuses with 503 topic_full and Retry-After; discard 'old' drops instead", async (t) => {
      const app = await channel.open(t, { topicMaxMessages: 2 });
      await publish(app, 'full', 'a');
      await publish(app, 'full', 'b');
      const refused = await publish(app, 'full', 'c');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('hub-error'), 'topic_full');
      assert.equal(refused.headers.get('retry-after'), '1');
      // A pull makes room: what the queue handed out goes first.
      await pulled(await app.request('/topics/full'));
      assert.equal((await publish(app, 'full', 'c')).status, 200);
      await app.request('/topics/full', { method: 'PATCH', body: '{"discard":"old"}' });
      assert.equal((await publish(app, 'full', 'd')).status, 200);
      const listing = (await (await app.request('/topics/')).json()) as Record<
        string,
        { dropped: number }
      >;
      assert.equal(listing.full?.dropped, 1);
    });

    test('[P-TOPIC-DELETE] DELETE removes a topic and its messages; a second DELETE is 404 unknown_topic', async (t) => {
      const app = await channel.open(t);
      await publish(app, 'gone', 'x');
      assert.equal((await app.request('/topics/gone', { method: 'DELETE' })).status, 204);
      const again = await app.request('/topics/gone', { method: 'DELETE' });
      assert.equal(again.status, 404);
      assert.equal(again.headers.get('hub-error'), 'unknown_topic');
      assert.equal((await app.request('/topics/gone')).status, 404);
    });

    test('[P-TOPIC-LIMITS] a message over HUB_MAX_BODY_BYTES is 413 payload_too_large, and nothing is published', async (t) => {
      const app = await channel.open(t, { maxBodyBytes: 1024 });
      const res = await publish(app, 'big', Buffer.alloc(1025, 'x'));
      assert.equal(res.status, 413);
      assert.equal(res.headers.get('hub-error'), 'payload_too_large');
      assert.equal((await publish(app, 'big', Buffer.alloc(1024, 'x'))).status, 200);
      const listing = (await (await app.request('/topics/')).json()) as Record<
        string,
        { seq: number }
      >;
      assert.equal(listing.big?.seq, 1);
    });

    test('[P-TOPIC-RETENTION] PATCH refuses what is not retention, with invalid_retention', async (t) => {
      const app = await channel.open(t);
      for (const body of [
        'nope',
        '[]',
        '{"maxMessages":0}',
        '{"maxAgeMs":1.5}',
        '{"discard":"all"}',
        '{"colour":1}',
      ]) {
        const res = await app.request('/topics/x', { method: 'PATCH', body });
        assert.equal(res.status, 400, body);
        assert.equal(res.headers.get('hub-error'), 'invalid_retention', body);
      }
      assert.deepEqual(await (await app.request('/topics/')).json(), {});
    });
  });

for (const channel of HTTP_CHANNELS)
  describe(`Topics: tokens (${channel.name})`, () => {
    test("[P-TOPIC-AUTH] publishing needs a token listing the topic under publish, pulling one listing it under subscribe; managing is the operator's", async (t) => {
      const app = await channel.open(t, { authTokens });
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      assert.equal((await app.request('/topics/orders', { method: 'PUT', body: 'x' })).status, 401);
      const worker = await app.request('/topics/orders', {
        method: 'PUT',
        body: 'x',
        headers: as(TOKENS.workerAdd),
      });
      assert.equal(worker.status, 403);
      const other = await app.request('/topics/other', {
        method: 'PUT',
        body: 'x',
        headers: as(TOKENS.callerAdd),
      });
      assert.equal(other.status, 403);
      const ok = await app.request('/topics/orders', {
        method: 'PUT',
        body: 'x',
        headers: as(TOKENS.callerAdd),
      });
      assert.equal(ok.status, 200);
      assert.equal(
        (await app.request('/topics/orders', { headers: as(TOKENS.callerAdd) })).status,
        403,
      );
      assert.equal(
        (await app.request('/topics/orders', { headers: as(TOKENS.workerAdd) })).status,
        200,
      );
      const patch = { method: 'PATCH', body: '{"maxMessages":5}' };
      assert.equal(
        (await app.request('/topics/orders', { ...patch, headers: as(TOKENS.callerAdd) })).status,
        403,
      );
      assert.equal(
        (await app.request('/topics/orders', { ...patch, headers: as(TOKENS.admin) })).status,
        200,
      );
      const del = { method: 'DELETE', headers: as(TOKENS.workerAdd) };
      assert.equal((await app.request('/topics/orders', del)).status, 403);
    });
  });

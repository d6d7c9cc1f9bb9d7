/**
 * Webhooks on a real server and a local receiver, on each store
 * (docs/events.md): Danketsu's API and shapes, retries, dead letters and
 * replay, signatures, target safety, in-order delivery, tokens.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { verifyWebhook } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';
import { authTokens, TOKENS } from '../support/tokens.js';

const STORES: { name: string; config: () => Partial<Config>; skip: string | false }[] = [
  { name: 'memory store', config: () => ({}), skip: false },
  {
    name: 'Redis store',
    config: () => ({ store: 'redis', redisUrl: REDIS_URL, redisPrefix: testPrefix() }),
    skip: needsRedis.skip,
  },
];

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A local receiver: answers each delivery with `answer(n)` (n from 1), and keeps what it got. */
async function receiver(
  t: { after: (fn: () => unknown) => void },
  answer: (n: number, path: string) => number | Promise<number> = () => 200,
) {
  const got: Received[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const status = await answer(++n, req.url ?? '');
      if (status >= 200 && status < 300) {
        got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      }
      res.statusCode = status;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, attempts: () => n };
}

const danketsu = (server: RunningServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/danketsu/api/v1/`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  });

/** Quick retries, loopback allowed: a receiver on this machine. */
const LOCAL: Partial<Config> = {
  webhookAllowNetworks: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }],
  webhookRetryMs: 10,
  webhookMaxAttempts: 3,
};

for (const store of STORES)
  describe(`Webhooks (${store.name})`, { skip: store.skip }, () => {
    async function hub(t: { after: (fn: () => unknown) => void }, overrides: Partial<Config> = {}) {
      const server = await startServer(testConfig({ ...store.config(), ...LOCAL, ...overrides }));
      t.after(() => server.close());
      return server;
    }

    test("[P-DANKETSU] Danketsu's register and fire: 200 with no body, and each address gets {Name, Timestamp, Payload} with the payload string untouched", async (t) => {
      const server = await hub(t);
      const one = await receiver(t);
      const two = await receiver(t);
      const register = await danketsu(server, {
        Action: 'register',
        EVENT: 'user.created',
        address: `${one.url}/a`,
      });
      assert.equal(register.status, 200);
      assert.equal(await register.text(), '');
      await danketsu(server, {
        action: 'register',
        event: 'user.created',
        address: `${two.url}/b`,
      });
      const payload = '{"id": 65484548474984654, "name": "Ada"}';
      const fire = await danketsu(server, { action: 'fire', event: 'user.created', payload });
      assert.equal(fire.status, 200);
      assert.equal(await fire.text(), '');
      await until(() => one.got.length === 1 && two.got.length === 1, { what: 'both deliveries' });
      for (const delivery of [...one.got, ...two.got]) {
        assert.equal(delivery.headers['content-type'], 'application/json');
        const sent = JSON.parse(delivery.body.toString()) as Record<string, unknown>;
        assert.deepEqual(Object.keys(sent), ['Name', 'Timestamp', 'Payload']);
        assert.equal(sent.Name, 'user.created');
        assert.equal(sent.Payload, payload);
        assert.match(String(sent.Timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      }
    });

    test('[P-DANKETSU] malformed input is 400 with no body: broken JSON, no or an unknown action, a payload that is not a string', async (t) => {
      const server = await hub(t);
      for (const body of [
        '{"action": "fire"',
        { event: 'e', payload: 'x' },
        { action: 'explode', event: 'e' },
        { action: 'fire', event: 'e', payload: { not: 'a string' } },
        { action: 'register', event: 'e' },
        { action: 'register', event: 'e', address: 'not a url' },
        { action: 'fire', event: 'bad name!', payload: 'x' },
      ]) {
        const res = await danketsu(server, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(await res.text(), '');
      }
    });

    test("[P-DANKETSU] status counts fires of the last 24 hours and callbacks now, in all and per event; unregistering any callback works (Danketsu's crash)", async (t) => {
      const server = await hub(t);
      const sink = await receiver(t);
      for (const path of ['/1', '/2', '/3']) {
        await danketsu(server, { action: 'register', event: 'a', address: `${sink.url}${path}` });
      }
      await danketsu(server, { action: 'register', event: 'b', address: `${sink.url}/4` });
      for (let i = 0; i < 3; i++)
        await danketsu(server, { action: 'fire', event: 'a', payload: 'x' });
      await danketsu(server, { action: 'fire', event: 'b', payload: 'y' });
      const first = await danketsu(server, {
        action: 'unregister',
        event: 'a',
        address: `${sink.url}/1`,
      });
      assert.equal(first.status, 200);
      const status = await (await fetch(`${server.url}/danketsu/status/`)).json();
      assert.deepEqual(status, {
        Events: 4,
        Callbacks: 3,
        ByEvent: { a: { Events: 3, Callbacks: 2 }, b: { Events: 1, Callbacks: 1 } },
      });
    });

    test('[P-WEBHOOK-RETRY] a receiver that fails and then succeeds gets every message once, in order', async (t) => {
      const server = await hub(t);
      const flaky = await receiver(t, (n) => (n <= 2 ? 503 : 200));
      await danketsu(server, { action: 'register', event: 'orders', address: flaky.url });
      for (const payload of ['o1', 'o2', 'o3']) {
        await danketsu(server, { action: 'fire', event: 'orders', payload });
      }
      await until(() => flaky.got.length === 3, { what: 'three deliveries' });
      assert.deepEqual(
        flaky.got.map((d) => (JSON.parse(d.body.toString()) as { Payload: string }).Payload),
        ['o1', 'o2', 'o3'],
      );
      assert.equal(flaky.attempts(), 5);
    });

    test('[P-WEBHOOK-DEAD] after its last attempt a message is a dead letter, listed, and replayed on demand; the next messages go on meanwhile', async (t) => {
      const server = await hub(t);
      let healthy = false;
      const sink = await receiver(t, (_n) => (healthy ? 200 : 500));
      const add = await fetch(`${server.url}/topics/jobs/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ address: sink.url }),
      });
      assert.equal(add.status, 201);
      const webhook = (await add.json()) as { id: string; secret: string; format: string };
      assert.equal(webhook.format, 'raw');
      await fetch(`${server.url}/topics/jobs`, { method: 'PUT', body: 'lost' });
      await until(
        async () => {
          const letters = await (
            await fetch(`${server.url}/webhooks/${webhook.id}/dead-letters`)
          ).json();
          return (letters as unknown[]).length === 1;
        },
        { what: 'a dead letter' },
      );
      const [letter] = (await (
        await fetch(`${server.url}/webhooks/${webhook.id}/dead-letters`)
      ).json()) as { messageId: number; attempts: number; error: string }[];
      assert.deepEqual([letter?.messageId, letter?.attempts], [0, 3]);
      assert.match(letter?.error ?? '', /500/);
      healthy = true;
      await fetch(`${server.url}/topics/jobs`, { method: 'PUT', body: 'next' });
      await until(() => sink.got.length === 1, { what: 'the next message' });
      const replay = await fetch(`${server.url}/webhooks/${webhook.id}/replay`, { method: 'POST' });
      assert.deepEqual(await replay.json(), { replaying: 1 });
      await until(() => sink.got.length === 2, { what: 'the replayed one' });
      assert.deepEqual(
        sink.got.map((d) => d.body.toString()),
        ['next', 'lost'],
      );
      const listed = (await (await fetch(`${server.url}/webhooks`)).json()) as {
        deadLetters: number;
      }[];
      assert.equal(listed[0]?.deadLetters, 0);
      const removed = await fetch(`${server.url}/webhooks/${webhook.id}`, { method: 'DELETE' });
      assert.equal(removed.status, 204);
      const again = await fetch(`${server.url}/webhooks/${webhook.id}`, { method: 'DELETE' });
      assert.equal(again.headers.get('hub-error'), 'unknown_webhook');
    });

    test('[P-WEBHOOK-SIGNATURE] every delivery is signed as Standard Webhooks asks, and verifyWebhook checks it', async (t) => {
      const server = await hub(t);
      const sink = await receiver(t);
      const add = await fetch(`${server.url}/topics/signed/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ address: sink.url }),
      });
      const { secret } = (await add.json()) as { secret: string };
      assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);
      await fetch(`${server.url}/topics/signed`, { method: 'PUT', body: 'payload' });
      await until(() => sink.got.length === 1, { what: 'the delivery' });
      const [delivery] = sink.got;
      assert.ok(delivery);
      assert.match(String(delivery.headers['webhook-id']), /^msg_/);
      assert.match(String(delivery.headers['webhook-signature']), /^v1,/);
      assert.equal(
        verifyWebhook(secret, delivery.headers as Record<string, string>, delivery.body),
        true,
      );
      assert.equal(
        verifyWebhook(secret, delivery.headers as Record<string, string>, 'tampered'),
        false,
      );
      assert.equal(
        verifyWebhook(
          'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          delivery.headers as Record<string, string>,
          delivery.body,
        ),
        false,
      );
      const late = Date.now() + 10 * 60 * 1000;
      assert.equal(
        verifyWebhook(secret, delivery.headers as Record<string, string>, delivery.body, {
          now: late,
        }),
        false,
      );
    });

    test('[P-WEBHOOK-TARGETS] by default loopback (by address or by name) is refused: a dead letter saying so; the deny list closes what the allow list opens', async (t) => {
      for (const overrides of [
        { webhookAllowNetworks: [] },
        {
          webhookDenyNetworks: [{ address: '127.0.0.1', prefix: 32, family: 'ipv4' } as const],
        },
      ]) {
        const server = await hub(t, overrides);
        const sink = await receiver(t);
        const port = new URL(sink.url).port;
        for (const address of [sink.url, `http://localhost:${port}`]) {
          await danketsu(server, { action: 'register', event: 'inside', address });
        }
        await danketsu(server, { action: 'fire', event: 'inside', payload: 'x' });
        const hooks = (await (await fetch(`${server.url}/webhooks`)).json()) as { id: string }[];
        for (const hook of hooks) {
          await until(
            async () => {
              const letters = (await (
                await fetch(`${server.url}/webhooks/${hook.id}/dead-letters`)
              ).json()) as { error: string }[];
              return letters.length === 1 && /not delivered/.test(letters[0]?.error ?? '');
            },
            { what: 'a refused delivery', timeoutMs: 5000 },
          );
        }
        assert.equal(sink.attempts(), 0);
      }
    });

    test('[P-WEBHOOK-RETRY] a slow receiver holds up its own webhook only: another address gets its messages meanwhile', async (t) => {
      const server = await hub(t);
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = await receiver(t, async () => {
        await held;
        return 200;
      });
      const quick = await receiver(t);
      await danketsu(server, { action: 'register', event: 'news', address: slow.url });
      await danketsu(server, { action: 'register', event: 'news', address: quick.url });
      for (const payload of ['n1', 'n2'])
        await danketsu(server, { action: 'fire', event: 'news', payload });
      await until(() => quick.got.length === 2, { what: 'the quick one got both' });
      assert.equal(slow.got.length, 0);
      release();
      await until(() => slow.got.length === 2, { what: 'the slow one, in order' });
      assert.deepEqual(
        slow.got.map((d) => (JSON.parse(d.body.toString()) as { Payload: string }).Payload),
        ['n1', 'n2'],
      );
    });

    test('[P-WEBHOOK-AUTH] with auth on, registering needs a token listing the event under subscribe, firing under publish', async (t) => {
      const server = await hub(t, { authTokens });
      const sink = await receiver(t);
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      const register = { action: 'register', event: 'orders', address: sink.url };
      const fire = { action: 'fire', event: 'orders', payload: 'x' };
      assert.equal((await danketsu(server, register)).status, 401);
      assert.equal((await danketsu(server, register, as(TOKENS.callerAdd))).status, 403);
      assert.equal((await danketsu(server, register, as(TOKENS.workerAdd))).status, 200);
      assert.equal((await danketsu(server, fire, as(TOKENS.workerAdd))).status, 403);
      assert.equal((await danketsu(server, fire, as(TOKENS.callerAdd))).status, 200);
      await until(() => sink.got.length === 1, { what: 'the delivery' });
      assert.equal(
        (await fetch(`${server.url}/webhooks`, { headers: as(TOKENS.callerAdd) })).status,
        403,
      );
    });
  });

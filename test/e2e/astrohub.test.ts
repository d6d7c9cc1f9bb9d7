/**
 * AstroHub's own worker, unchanged (issue 11): a client that behaves exactly as
 * AstroHub's `hubtest` Go program does, against a real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send } from '../support/http.js';
import { isJob, WsClient } from '../support/ws.js';

/** Go's `json.Unmarshal` into a `[]byte`: a base64 string or null, and nothing else. */
function goBytes(value: unknown): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (
    typeof value !== 'string' ||
    !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)
  ) {
    throw new Error(
      `json: cannot unmarshal ${JSON.stringify(value)?.slice(0, 60)} into Go value of type []uint8`,
    );
  }
  return Buffer.from(value, 'base64');
}

/** Go's `json.Unmarshal(body, &question)` with its error ignored, as hubtest does. */
function goQuestion(bytes: Buffer): { first: number; second: number } {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as { first?: unknown; second?: unknown };
    const int = (n: unknown) => (Number.isInteger(n) ? (n as number) : 0);
    return { first: int(value?.first), second: int(value?.second) };
  } catch {
    return { first: 0, second: 0 };
  }
}

interface Seen {
  readonly id: string;
  readonly bytes: Buffer;
}

/**
 * hubtest's loop: one `GET /service/<name>/jobs` at a time with no timeout of its
 * own; as soon as one returns, the next goes out while the job is handled. The
 * handler decodes the job as Go does, adds, waits `workMs`, and answers on
 * `/jobs/<id>/response` with no content type. It never heartbeats, never fails a
 * job, and posts `/jobs//response` when a poll ends empty (Go unmarshals the
 * empty body into a zero job).
 */
function astroWorker(url: string, service: string, workMs: number) {
  const seen: Seen[] = [];
  const decodeErrors: string[] = [];
  const answerStatuses: number[] = [];
  let stopped = false;
  const handle = async (status: number, body: Buffer) => {
    let job: { id?: unknown; originalRequest?: unknown } = {};
    try {
      job = JSON.parse(body.toString('utf8'));
    } catch {
      // An empty 204: Go's zero job, id "".
    }
    const id = typeof job.id === 'string' ? job.id : '';
    let bytes: Buffer = Buffer.alloc(0);
    try {
      bytes = goBytes(job.originalRequest);
    } catch (error) {
      decodeErrors.push((error as Error).message);
    }
    if (status === 200) seen.push({ id, bytes });
    const { first, second } = goQuestion(bytes);
    await new Promise((resolve) => setTimeout(resolve, workMs));
    const reply = await send(`${url}/jobs/${id}/response`, {
      method: 'POST',
      body: JSON.stringify({ answer: first + second }),
    }).reply;
    answerStatuses.push(reply.status);
  };
  const loop = (async () => {
    const handlers: Promise<void>[] = [];
    while (!stopped) {
      const poll = await send(`${url}/service/${service}/jobs`).reply.catch(() => undefined);
      if (!poll || stopped) break;
      handlers.push(handle(poll.status, poll.body));
    }
    await Promise.all(handlers);
  })();
  return {
    seen,
    decodeErrors,
    answerStatuses,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** An AstroHub caller: `POST /service/<name>` with a body and perhaps a content type. */
function astroCall(url: string, service: string, body: string, contentType?: string) {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  return send(`${url}/service/${service}`, { method: 'POST', headers, body }).reply;
}

async function withServer(
  overrides: Partial<Config>,
  run: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(testConfig(overrides));
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

describe('[P-ASTROHUB] HUB_COMPAT=astrohub: AstroHub’s hubtest worker, unchanged', () => {
  // The defaults that matter here (no_workers on, a lease) as a real deployment has them;
  // a short lease, so a job slower than it takes a fraction of a second.
  const astrohub: Partial<Config> = {
    compat: 'astrohub',
    noWorkersMs: 10_000,
    leaseMs: 150,
    pollTimeoutMs: 500,
    callTimeoutMs: 5000,
  };
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig(astrohub));
  });
  after(() => server.close());

  test('[P-ASTROHUB] calls made before the first poll park, and every body reaches the worker as Go reads it', async () => {
    const cases: [string, string, string | undefined, number][] = [
      ['JSON', '{"first": 40, "second": 2}', 'application/json', 42],
      ['JSON with no content type', '{"first": 1, "second": 2}', undefined, 3],
      ['a form body', 'first=1&second=2', 'application/x-www-form-urlencoded', 0],
      ['an empty body', '', undefined, 0],
      ['bytes with no content type', 'hello world', undefined, 0],
    ];
    // Before any worker has polled: AstroHub parked these calls; so does the hub now.
    const calls = cases.map(([, body, type]) => astroCall(server.url, 'add', body, type));
    const worker = astroWorker(server.url, 'add', 0);
    try {
      const replies = await Promise.all(calls);
      for (const [i, [name, body, , sum]] of cases.entries()) {
        const reply = replies[i];
        assert.equal(reply?.status, 200, name);
        assert.deepEqual(JSON.parse(reply.body.toString()), { answer: sum }, name);
        assert.ok(
          worker.seen.some((job) => job.bytes.toString() === body),
          `${name}: the worker saw the caller's bytes`,
        );
      }
    } finally {
      await worker.stop();
    }
    assert.deepEqual(worker.decodeErrors, [], 'every job decoded as a Go []byte');
  });

  test('[P-ASTROHUB] a job slower than the lease is not handed out again: one run, one answer', async () => {
    const worker = astroWorker(server.url, 'slow', 600);
    try {
      // Let the first poll park, then call: the job runs four leases long.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reply = await astroCall(server.url, 'slow', '{"first": 2, "second": 3}');
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.body.toString()), { answer: 5 });
    } finally {
      await worker.stop();
    }
    assert.equal(worker.seen.length, 1, 'handed out once');
    assert.ok(worker.answerStatuses.includes(200));
    assert.ok(!worker.answerStatuses.includes(409), 'no answer was refused as lease_lost');
    const status = await server.hub.status();
    assert.equal(status.services.find((s) => s.service === 'slow')?.redelivered, 0);
  });

  test('[P-ASTROHUB] a worker that does heartbeat gets ordinary leases from then on', async () => {
    const caller = astroCall(server.url, 'beating', '1');
    const poll = await send(`${server.url}/service/beating/jobs`).reply;
    const { id } = JSON.parse(poll.body.toString()) as { id: string };
    assert.equal(
      (await send(`${server.url}/jobs/${id}/heartbeat`, { method: 'POST' }).reply).status,
      200,
    );
    // No more heartbeats: the lease runs out and the job is handed on.
    const again = await send(`${server.url}/service/beating/jobs`).reply;
    const second = JSON.parse(again.body.toString()) as { id: string; attempt: number };
    assert.equal(second.attempt, 2);
    await send(`${server.url}/jobs/${second.id}`, { method: 'POST', body: 'ok' }).reply;
    assert.equal((await caller).body.toString(), 'ok');
  });

  // Issue 26, item 21: WebSocket workers got JSON bodies as JSON values.
  test('[P-ASTROHUB] a WebSocket worker gets every body as base64 too, as docs/astrohub.md says', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['wsjson'], credit: 1 });
    await worker.next((f) => f.type === 'serving');
    const called = fetch(`${server.url}/service/wsjson`, {
      method: 'POST',
      body: '{"first":1}',
      headers: { 'content-type': 'application/json' },
    });
    const job = (await worker.next(isJob)).job as {
      id: string;
      encoding?: string;
      originalRequest: unknown;
    };
    assert.equal(job.encoding, 'base64');
    assert.equal(Buffer.from(String(job.originalRequest), 'base64').toString(), '{"first":1}');
    worker.send({ type: 'answer', id: job.id, body: 2 });
    assert.equal((await called).status, 200);
    await worker.close();
  });

  test('[P-ASTROHUB] names AstroHub routed, such as math:add, are services', async () => {
    const worker = astroWorker(server.url, 'math:add', 0);
    try {
      const reply = await astroCall(server.url, 'math:add', '{"first": 1, "second": 1}');
      assert.deepEqual(JSON.parse(reply.body.toString()), { answer: 2 });
    } finally {
      await worker.stop();
    }
  });

  test('[P-ASTROHUB] without the setting the same worker cannot read a JSON job, so the setting is what makes it work', async () => {
    await withServer({ leaseMs: 150, pollTimeoutMs: 500 }, async (plain) => {
      const worker = astroWorker(plain.url, 'add', 0);
      try {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reply = await astroCall(
          plain.url,
          'add',
          '{"first": 40, "second": 2}',
          'application/json',
        );
        // Go's unmarshal fails silently and hubtest adds zeros: the wrong answer the setting prevents.
        assert.deepEqual(JSON.parse(reply.body.toString()), { answer: 0 });
      } finally {
        await worker.stop();
      }
      assert.equal(worker.decodeErrors.length, 1);
    });
  });

  test('[P-ASTROHUB] limits still hold: a body over HUB_MAX_BODY_BYTES is 413', async () => {
    await withServer({ ...astrohub, maxBodyBytes: 1024 }, async (small) => {
      const reply = await astroCall(small.url, 'add', 'x'.repeat(2048));
      assert.equal(reply.status, 413);
      assert.equal(reply.headers['hub-error'], 'payload_too_large');
    });
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireBatchResult, WireJob } from '../../src/protocol.js';
import { CHANNELS, inOrder, inProcessOnly, type RequestTarget } from '../support/channels.js';

type App = RequestTarget;

const BATCH_TYPE = 'application/vnd.switchboard.answers';

/** Builds an answer batch by hand, independently of the SDK's encoder. */
function batchBody(answers: { head: Record<string, unknown>; body?: string }[]): Buffer {
  const heads = answers.map(({ head, body = '' }) => ({
    length: Buffer.byteLength(body),
    ...head,
  }));
  return Buffer.concat([
    Buffer.from(`${JSON.stringify(heads)}\n`),
    ...answers.map(({ body = '' }) => Buffer.from(body)),
  ]);
}

function postBatch(app: App, body: Uint8Array | string, query = '', contentType = BATCH_TYPE) {
  return app.request(`/jobs${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
}

function call(app: App, body: string, headers: Record<string, string> = {}) {
  return app.request('/service/add', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Calls of `add` with these bodies, each queued before the next is sent. */
function queuedCalls(app: App, bodies: readonly string[]): Promise<Promise<Response>[]> {
  return inOrder(
    app,
    'add',
    bodies.map((body) => () => call(app, body)),
  );
}

async function takeBatch(app: App, query: string): Promise<WireJob[]> {
  const res = await app.request(`/service/add/jobs?${query}`);
  assert.equal(res.status, 200);
  return (await res.json()) as WireJob[];
}

for (const channel of CHANNELS)
  describe(`[P-BATCH-TAKE] GET /service/:name/jobs?max=<n> (${channel.name})`, () => {
    test('[P-BATCH-TAKE] takes up to n queued jobs, oldest first, as an array; 204 when none came', async (t) => {
      const app = await channel.open(t);
      const calls = await queuedCalls(app, ['1', '2', '3']);
      const jobs = await takeBatch(app, 'max=2&timeout=0');
      assert.deepEqual(
        jobs.map((j) => j.originalRequest),
        [1, 2],
      );
      assert.notEqual(jobs[0]?.id, jobs[1]?.id, 'each job has its own hand-out id');
      assert.deepEqual(
        (await takeBatch(app, 'max=5&timeout=0')).map((j) => j.originalRequest),
        [3],
      );
      const empty = await app.request('/service/add/jobs?max=5&timeout=0');
      assert.equal(empty.status, 204);
      for (const [i, job] of jobs.entries()) {
        await app.request(`/jobs/${job.id}`, { method: 'POST', body: `r${i}` });
      }
      assert.equal(await (await calls[0])?.text(), 'r0');
    });

    // The same turn of the hub's event loop: only the app in process can send them so.
    test(
      '[P-BATCH-TAKE] a waiting take also gets the calls that arrived in the same turn as the first',
      inProcessOnly(channel),
      async (t) => {
        const app = await channel.open(t);
        const take = app.request('/service/add/jobs?max=10&timeout=1000');
        await new Promise((resolve) => setImmediate(resolve));
        for (const n of [1, 2, 3]) void call(app, String(n));
        const res = await take;
        assert.equal(res.status, 200);
        assert.deepEqual(
          ((await res.json()) as WireJob[]).map((j) => j.originalRequest),
          [1, 2, 3],
        );
      },
    );

    test('[P-BATCH-TAKE] max outside 1 to 100 is 400 invalid_batch', async (t) => {
      const app = await channel.open(t);
      for (const max of ['0', '101', 'ten', '-1', '']) {
        const res = await app.request(`/service/add/jobs?max=${max}&timeout=0`);
        assert.equal(res.status, 400, max);
        assert.equal(res.headers.get('hub-error'), 'invalid_batch', max);
      }
    });
  });

for (const channel of CHANNELS)
  describe(`[P-BATCH] POST /jobs: an answer batch (${channel.name})`, () => {
    test('[P-BATCH] each answer reaches its caller byte for byte, with its status, content type and headers', async (t) => {
      const app = await channel.open(t);
      const [first, second] = await queuedCalls(app, ['1', '2']);
      const [a, b] = await takeBatch(app, 'max=2&timeout=0');
      assert.ok(a && b);
      const res = await postBatch(
        app,
        batchBody([
          { head: { id: a.id, contentType: 'application/json' }, body: '{"answer": "ü\\n"}' },
          {
            head: {
              id: b.id,
              status: 404,
              contentType: 'text/plain',
              headers: {
                'Cache-Control': 'no-store',
                'hub-error': 'forged',
                'content-length': '1',
              },
            },
            body: 'not here\n',
          },
        ]),
      );
      assert.equal(res.status, 200);
      const result = (await res.json()) as WireBatchResult;
      assert.deepEqual(result, { outcomes: [{ id: a.id }, { id: b.id }], jobs: [] });

      const one = await first;
      assert.ok(one);
      assert.equal(one.status, 200);
      assert.equal(one.headers.get('content-type'), 'application/json');
      assert.equal(await one.text(), '{"answer": "ü\\n"}');
      const two = await second;
      assert.ok(two);
      assert.equal(two.status, 404);
      assert.equal(two.headers.get('content-type'), 'text/plain');
      assert.equal(two.headers.get('cache-control'), 'no-store');
      assert.equal(two.headers.get('hub-error'), null, 'a worker cannot forge a hub error');
      assert.equal(await two.text(), 'not here\n');
    });

    test('[P-BATCH] a malformed batch is 400 invalid_batch and answers nothing', async (t) => {
      const app = await channel.open(t);
      const [pending] = await queuedCalls(app, ['1']);
      const [job] = await takeBatch(app, 'max=1&timeout=0');
      assert.ok(job);
      const good = { id: job.id };
      const cases: [string, Uint8Array | string, string?][] = [
        ['wrong content type', batchBody([{ head: good, body: 'x' }]), 'application/json'],
        ['no newline', `[${JSON.stringify({ ...good, length: 0 })}]`],
        ['head line not JSON', '[{"id":\nx'],
        ['head line not an array', `${JSON.stringify({ ...good, length: 1 })}\nx`],
        ['head not an object', '[42]\n'],
        ['no id', batchBody([{ head: { id: undefined }, body: 'x' }])],
        ['negative length', batchBody([{ head: { ...good, length: -1 } }])],
        ['length past the end', batchBody([{ head: { ...good, length: 5 }, body: 'x' }])],
        ['bytes after the last body', batchBody([{ head: { ...good, length: 1 }, body: 'xy' }])],
        [
          'too many heads',
          `${JSON.stringify(Array.from({ length: 1001 }, () => ({ ...good, length: 0 })))}\n`,
        ],
      ];
      for (const [name, body, contentType] of cases) {
        const res = await postBatch(app, body, '', contentType);
        assert.equal(res.status, 400, name);
        assert.equal(res.headers.get('hub-error'), 'invalid_batch', name);
        if (name === 'length past the end') {
          const { error } = (await res.json()) as { error: { message: string } };
          assert.match(error.message, /answer 0 claims 5 bytes, past the end/);
        }
      }
      const answered = await postBatch(app, batchBody([{ head: good, body: 'fine' }]));
      assert.deepEqual(((await answered.json()) as WireBatchResult).outcomes, [good]);
      assert.equal(await (await pending)?.text(), 'fine', 'the job was still unanswered');
    });

    test('[P-BATCH] an answer body over the body limit is 413 payload_too_large', async (t) => {
      const app = await channel.open(t, { maxBodyBytes: 10 });
      const [pending] = await queuedCalls(app, ['1']);
      const [job] = await takeBatch(app, 'max=1&timeout=0');
      assert.ok(job);
      const res = await postBatch(app, batchBody([{ head: { id: job.id }, body: 'x'.repeat(11) }]));
      assert.equal(res.status, 413);
      assert.equal(res.headers.get('hub-error'), 'payload_too_large');
      await postBatch(app, batchBody([{ head: { id: job.id }, body: 'x'.repeat(10) }]));
      assert.equal(await (await pending)?.text(), 'x'.repeat(10));
    });
  });

for (const channel of CHANNELS)
  describe(`[P-BATCH-OUTCOMES] each answer of a batch succeeds or fails on its own (${channel.name})`, () => {
    // Issue 11, finding 10: one bad header used to refuse the whole batch, so every
    // caller in it waited for its lease.
    test('[P-BATCH-OUTCOMES] an answer with a bad status or header is refused alone; the rest count and it can answer again', async (t) => {
      const app = await channel.open(t);
      const bad: [string, Record<string, unknown>, string][] = [
        ['status not an integer', { status: '200' }, 'invalid_status'],
        ['invalid header name', { headers: { 'a b': '1' } }, 'invalid_header'],
        ['header value with a control byte', { headers: { a: 'a\u0001b' } }, 'invalid_header'],
        ['header value with a newline', { headers: { a: '1\r\nb: 2' } }, 'invalid_header'],
        ['header value not a string', { headers: { a: 1 } }, 'invalid_header'],
        ['an empty list of values', { headers: { 'set-cookie': [] } }, 'invalid_header'],
        ['headers not an object', { headers: 'a: 1' }, 'invalid_header'],
        ['content type with a newline', { contentType: 'a\nb' }, 'invalid_header'],
      ];
      const calls = await queuedCalls(
        app,
        [0, ...bad.keys()].map((n) => String(n)),
      );
      const jobs = await takeBatch(app, `max=${calls.length}&timeout=0`);
      assert.equal(jobs.length, calls.length);
      const [good, ...rest] = jobs;
      assert.ok(good);
      const res = await postBatch(
        app,
        batchBody([
          { head: { id: good.id }, body: 'good' },
          ...bad.map(([, head], i) => ({ head: { id: rest[i]?.id, ...head }, body: 'x' })),
        ]),
      );
      assert.equal(res.status, 200);
      const { outcomes } = (await res.json()) as WireBatchResult;
      assert.deepEqual(
        outcomes.map((o) => o.error?.code),
        [undefined, ...bad.map(([, , code]) => code)],
      );
      assert.equal(await (await calls[0])?.text(), 'good');
      // Each refused answer left its job in flight: a corrected answer reaches its caller.
      const again = await postBatch(
        app,
        batchBody(rest.map((job, i) => ({ head: { id: job.id }, body: `fixed ${i}` }))),
      );
      assert.ok(((await again.json()) as WireBatchResult).outcomes.every((o) => !o.error));
      assert.equal(await (await calls[3])?.text(), 'fixed 2');
    });

    test('[P-BATCH-OUTCOMES] refused answers are listed with their codes, in order, and the rest count', async (t) => {
      const app = await channel.open(t);
      const calls = await queuedCalls(app, ['1', '2', '3']);
      const [a, b, c] = await takeBatch(app, 'max=3&timeout=0');
      assert.ok(a && b && c);
      await app.request(`/jobs/${b.id}`, { method: 'POST', body: 'first' });
      const res = await postBatch(
        app,
        batchBody([
          { head: { id: 'no-such-delivery' }, body: 'x' },
          { head: { id: b.id }, body: 'second' },
          { head: { id: c.id, status: 204 }, body: 'a 204 has no body' },
          { head: { id: a.id }, body: 'A' },
        ]),
      );
      assert.equal(res.status, 200);
      const { outcomes } = (await res.json()) as WireBatchResult;
      assert.deepEqual(
        outcomes.map((o) => [o.id, o.error?.code]),
        [
          ['no-such-delivery', 'unknown_job'],
          [b.id, 'already_answered'],
          [c.id, 'invalid_status'],
          [a.id, undefined],
        ],
      );
      assert.equal(await (await calls[0])?.text(), 'A');
      assert.equal(await (await calls[1])?.text(), 'first');
      const retried = await postBatch(app, batchBody([{ head: { id: c.id }, body: 'C' }]));
      assert.deepEqual(((await retried.json()) as WireBatchResult).outcomes, [{ id: c.id }]);
      assert.equal(await (await calls[2])?.text(), 'C');
    });
  });

for (const channel of CHANNELS)
  describe(`[P-BATCH-NEXT] POST /jobs?next=<service>&max=<n> (${channel.name})`, () => {
    test('[P-BATCH-NEXT] the same exchange answers and takes the next jobs', async (t) => {
      const app = await channel.open(t);
      const [first] = await queuedCalls(app, ['1']);
      const [job] = await takeBatch(app, 'max=1&timeout=0');
      assert.ok(job);
      const more = await queuedCalls(app, ['2', '3', '4']);
      const res = await postBatch(
        app,
        batchBody([{ head: { id: job.id }, body: 'one' }]),
        '?next=add&max=2&timeout=0',
      );
      const { outcomes, jobs } = (await res.json()) as WireBatchResult;
      assert.deepEqual(outcomes, [{ id: job.id }]);
      assert.deepEqual(
        jobs.map((j) => j.originalRequest),
        [2, 3],
      );
      assert.equal(await (await first)?.text(), 'one');
      const rest = await postBatch(
        app,
        batchBody(jobs.map((j, i) => ({ head: { id: j.id }, body: `r${i}` }))),
        '?next=add&max=5&timeout=0',
      );
      const last = (await rest.json()) as WireBatchResult;
      assert.deepEqual(
        last.jobs.map((j) => j.originalRequest),
        [4],
      );
      assert.equal(await (await more[1])?.text(), 'r1');
    });

    test('[P-BATCH-NEXT] a malformed next, max or wait is refused before any answer is handed over', async (t) => {
      const app = await channel.open(t);
      const [pending] = await queuedCalls(app, ['1']);
      const [job] = await takeBatch(app, 'max=1&timeout=0');
      assert.ok(job);
      const body = batchBody([{ head: { id: job.id }, body: 'x' }]);
      for (const query of [
        'next=bad%20name',
        'next=add&max=0',
        'next=add&max=x',
        'next=add&timeout=-1',
      ]) {
        const res = await postBatch(app, body, `?${query}`);
        assert.equal(res.status, 400, query);
      }
      const ok = await postBatch(app, batchBody([{ head: { id: job.id }, body: 'fine' }]));
      assert.deepEqual(((await ok.json()) as WireBatchResult).outcomes, [{ id: job.id }]);
      assert.equal(await (await pending)?.text(), 'fine');
    });

    test('[P-BATCH-NEXT] during shutdown the answers count and no job goes out', async (t) => {
      const app = await channel.open(t);
      const { hub } = app;
      const [pending] = await queuedCalls(app, ['1']);
      const [job] = await takeBatch(app, 'max=1&timeout=0');
      assert.ok(job);
      const closed = hub.close(1000);
      const res = await postBatch(
        app,
        batchBody([{ head: { id: job.id }, body: 'done' }]),
        '?next=add&max=5&timeout=1000',
      );
      assert.deepEqual((await res.json()) as WireBatchResult, {
        outcomes: [{ id: job.id }],
        jobs: [],
      });
      assert.equal(await (await pending)?.text(), 'done');
      await closed;
    });

    test('only POST is allowed on /jobs', async (t) => {
      const app = await channel.open(t);
      const res = await app.request('/jobs', { method: 'PUT', body: 'x' });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'POST');
    });
  });

/**
 * Issue 11, findings 1, 4, 5, 6 and 7: what the hub holds for its callers is
 * bounded in real memory, in all and per service, and a job once queued is never
 * reported as refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ANSWER_BATCH_TYPE, type WireJob } from '../../src/protocol.js';
import { testApp, tick } from '../support/config.js';

type App = ReturnType<typeof testApp>['app'];

function call(app: App, service: string, body: string, headers: Record<string, string> = {}) {
  return app.request(`/service/${service}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

async function callAsync(app: App, service: string, body = '1'): Promise<string> {
  const res = await call(app, service, body, { prefer: 'respond-async' });
  assert.equal(res.status, 202);
  return ((await res.json()) as { id: string }).id;
}

async function take(app: App, service: string): Promise<WireJob> {
  const res = await app.request(`/service/${service}/jobs?timeout=1000`);
  assert.equal(res.status, 200);
  return (await res.json()) as WireJob;
}

async function answer(app: App, id: string, body: string): Promise<void> {
  const res = await app.request(`/jobs/${id}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(res.status, 200);
}

/**
 * `arrayBuffers` after full collections: what is still reachable. V8 frees the
 * memory of dead ArrayBuffers on a background task, later on a busy machine, so
 * this collects and reads a few times, 20 ms apart, and keeps the lowest reading.
 */
async function reachableArrayBuffers(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    lowest = Math.min(lowest, process.memoryUsage().arrayBuffers);
  }
  return lowest;
}

describe('[P-RESULTS] kept results hold only their own bytes', () => {
  test('[P-RESULTS] results answered through padded batches keep their 2-byte bodies, not the batches', async () => {
    const { app, hub } = testApp({ maxParked: 1000 });
    const count = 60;
    const pad = 'x'.repeat(1024 * 1024);
    const before = await reachableArrayBuffers();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(await callAsync(app, 'padded'));
      const job = await take(app, 'padded');
      // One answer per batch, behind a 1 MiB head line: the body is a view into it.
      const body = Buffer.concat([
        Buffer.from(`${JSON.stringify([{ id: job.id, length: 2, pad }])}\n`),
        Buffer.from('ok'),
      ]);
      const res = await app.request('/jobs', {
        method: 'POST',
        body,
        headers: { 'content-type': ANSWER_BATCH_TYPE },
      });
      assert.equal(res.status, 200);
    }
    for (const id of ids) assert.equal(await (await app.request(`/jobs/${id}`)).text(), 'ok');
    const grownMiB = ((await reachableArrayBuffers()) - before) / 2 ** 20;
    // Without the copy each result kept its whole batch: 60 MiB.
    assert.ok(grownMiB < 10, `array buffers grew ${grownMiB.toFixed(1)} MiB`);
    await hub.close(0);
  });
});

describe('[P-ASYNC] a queued job always gives its caller its id', () => {
  test('[P-ASYNC] respond-async with wait=N when no wait can park: 202 with Location, and the job runs', async () => {
    // The job's own parked slot takes the only one: the wait cannot park.
    const { app } = testApp({ maxParked: 1 });
    const res = await call(app, 'svc', '{"n":1}', { prefer: 'respond-async, wait=5' });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    assert.equal(res.headers.get('location'), `/jobs/${id}`);
    // A short poll parks nothing, so it can take the job.
    const poll = await app.request('/service/svc/jobs?timeout=0');
    const short = (await poll.json()) as WireJob;
    await answer(app, short.id, 'done');
    assert.equal(await (await app.request(`/jobs/${id}`)).text(), 'done');
  });
});

describe('[P-LIMITS] a byte budget for queued and in-flight calls', () => {
  test('[P-LIMITS] a call whose body would pass HUB_MAX_QUEUED_BYTES is 503 hub_full and queues nothing', async () => {
    const { app, hub } = testApp({ maxQueuedBytes: 100, maxQueuedBytesPerService: 100 });
    const body = JSON.stringify('x'.repeat(58)); // 60 bytes
    const first = await callAsync(app, 'big', body);
    const refused = await call(app, 'big', body, { prefer: 'respond-async' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('hub-error'), 'hub_full');
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(refused.headers.get('location'), null);
    assert.equal((await hub.status()).total.queued, 1, 'nothing more was queued');
    // In flight still counts; answered, the bytes are free again.
    const job = await take(app, 'big');
    assert.equal((await call(app, 'big', body, { prefer: 'respond-async' })).status, 503);
    await answer(app, job.id, 'ok');
    assert.equal(await (await app.request(`/jobs/${first}`)).text(), 'ok');
    assert.equal((await call(app, 'big', body, { prefer: 'respond-async' })).status, 202);
  });
});

describe('[P-SHARES] one service cannot take what the others need', () => {
  test('[P-SHARES] parked slots: a service past its share gets service_full; another still parks', async () => {
    const { app } = testApp({ maxParked: 4, maxParkedPerService: 2 });
    const hogs = [call(app, 'hog', '1'), call(app, 'hog', '2')];
    const third = await call(app, 'hog', '3');
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('hub-error'), 'service_full');
    assert.equal(third.headers.get('retry-after'), '1');
    const victim = call(app, 'victim', '"mine"');
    const job = await take(app, 'victim');
    assert.equal(job.originalRequest, 'mine');
    await answer(app, job.id, 'served');
    assert.equal(await (await victim).text(), 'served');
    for (const hog of hogs) assert.equal((await hog).status, 504);
  });

  test('[P-SHARES] parked polls count too, but a poll that finds a job queued is never refused', async () => {
    const { app } = testApp({ maxParked: 4, maxParkedPerService: 2 });
    // A hostile worker cannot park the whole hub either.
    const parked = [1, 2].map(() => app.request('/service/idle/jobs?timeout=50'));
    await tick();
    const third = await app.request('/service/idle/jobs?timeout=50');
    assert.equal(third.headers.get('hub-error'), 'service_full');
    for (const poll of parked) assert.equal((await poll).status, 204);
    // A service at its share of parked calls is still served: each poll takes one.
    const calls = [call(app, 'busy', '1'), call(app, 'busy', '2')];
    await tick();
    for (const [i, pending] of calls.entries()) {
      const job = await take(app, 'busy');
      assert.equal(job.originalRequest, i + 1);
      await answer(app, job.id, `done ${i + 1}`);
      assert.equal(await (await pending).text(), `done ${i + 1}`);
    }
  });

  test('[P-SHARES] queued bytes: a service past its share gets service_full; another still queues', async () => {
    const { app, hub } = testApp({ maxQueuedBytes: 200, maxQueuedBytesPerService: 100 });
    const body = JSON.stringify('x'.repeat(58)); // 60 bytes
    await callAsync(app, 'hog', body);
    const refused = await call(app, 'hog', body, { prefer: 'respond-async' });
    assert.equal(refused.headers.get('hub-error'), 'service_full');
    await callAsync(app, 'victim', body);
    assert.deepEqual(
      (await hub.status()).services.map((s) => [s.service, s.queued]),
      [
        ['hog', 1],
        ['victim', 1],
      ],
    );
  });

  test('[P-SHARES] kept results: a busy service drops its own oldest, and another service keeps its idempotent answer', async () => {
    const { app } = testApp({ maxResults: 4, maxResultsPerService: 2 });
    const keyed = { 'idempotency-key': 'charge-1' };
    const charge = call(app, 'billing', '{"amount":5}', keyed);
    const job = await take(app, 'billing');
    await answer(app, job.id, 'charged once');
    assert.equal(await (await charge).text(), 'charged once');
    const hogIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      hogIds.push(await callAsync(app, 'hog'));
      await answer(app, (await take(app, 'hog')).id, `hog ${i}`);
      await app.request(`/jobs/${hogIds[i]}?wait=1000`);
    }
    const kept = await Promise.all(
      hogIds.map(async (id) => (await app.request(`/jobs/${id}`)).status),
    );
    assert.deepEqual(kept, [404, 404, 404, 200, 200], 'the hog keeps only its share');
    // The retry joins the kept answer: no second job, no second charge.
    const retry = await call(app, 'billing', '{"amount":5}', keyed);
    assert.equal(await retry.text(), 'charged once');
    assert.equal((await app.request('/service/billing/jobs?timeout=0')).status, 204);
  });

  test('[P-SHARES] kept bytes: a service past its byte share drops its own oldest only', async () => {
    // Each answer keeps 10 body bytes and its 10-byte content type, text/plain.
    const { app } = testApp({ maxResultBytes: 100, maxResultBytesPerService: 50 });
    const mine = await callAsync(app, 'victim');
    await answer(app, (await take(app, 'victim')).id, '0123456789');
    for (let i = 0; i < 6; i++) {
      const id = await callAsync(app, 'hog');
      await answer(app, (await take(app, 'hog')).id, '0123456789');
      await app.request(`/jobs/${id}?wait=1000`);
    }
    assert.equal(await (await app.request(`/jobs/${mine}`)).text(), '0123456789');
  });
});

describe('[P-ANSWER-NEXT] an answer delivered is reported as delivered', () => {
  test('[P-ANSWER-NEXT] during shutdown the answer counts and the take ends empty: 204, not 503', async () => {
    const { app, hub } = testApp();
    const pending = call(app, 'svc', '1');
    const job = await take(app, 'svc');
    const closed = hub.close(1000);
    const res = await app.request(`/jobs/${job.id}?next=svc&timeout=1000`, {
      method: 'POST',
      body: 'done',
    });
    assert.equal(res.status, 204);
    assert.equal(await (await pending).text(), 'done');
    await closed;
  });

  test('[P-ANSWER-NEXT] with no parked slot left the answer counts and the take ends empty', async () => {
    const { app } = testApp({ maxParked: 1 });
    const pending = call(app, 'svc', '1');
    const job = (await (await app.request('/service/svc/jobs?timeout=0')).json()) as WireJob;
    const res = await app.request(`/jobs/${job.id}?next=svc&timeout=1000`, {
      method: 'POST',
      body: 'done',
    });
    assert.equal(await (await pending).text(), 'done');
    assert.equal(res.status, 204);
  });
});

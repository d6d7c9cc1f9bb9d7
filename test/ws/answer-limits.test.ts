/**
 * Issue 26, items 5, 14-17 and 30: an answer frame obeys the rules of an HTTP
 * answer (body and header limits, header names of any spelling, lists), and a
 * socket learns when a job it holds ends elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { answerHeadersOf } from '../../src/protocol.js';
import { testConfig } from '../support/config.js';
import { isJob, jobOf, WsClient } from '../support/ws.js';

function call(server: RunningServer, service: string, value: unknown = {}) {
  return fetch(`${server.url}/service/${service}`, {
    method: 'POST',
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json', 'hub-timeout': '3000' },
  });
}

const isError = (code: string) => (f: Record<string, unknown>) =>
  f.type === 'error' && f.code === code;

/** A worker socket serving `service` with credit 1, once the hub says so. */
async function servingWorker(server: RunningServer, service: string): Promise<WsClient> {
  const worker = await WsClient.open(server.url);
  worker.send({ type: 'serve', services: [service], credit: 1 });
  await worker.next((f) => f.type === 'serving');
  return worker;
}

describe('answer frames keep the rules of POST /jobs/:id', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ maxBodyBytes: 1024 }));
  });
  after(() => server.close());

  test('[P-BODY-LIMIT] an answer frame over HUB_MAX_BODY_BYTES is refused with payload_too_large; the job stays held and can be answered', async () => {
    const worker = await servingWorker(server, 'big');
    const answered = call(server, 'big');
    const job = jobOf(await worker.next(isJob));
    worker.send({ type: 'answer', id: job.id, body64: Buffer.alloc(2048).toString('base64') });
    assert.equal((await worker.next(isError('payload_too_large'))).id, job.id);
    worker.send({ type: 'answer', id: job.id, body: 'small' });
    assert.equal(await (await answered).text(), '"small"');
    await worker.close();
  });

  test('[P-ANSWER-HEADERS] answer headers over 16 KiB in all are refused with invalid_header, as Node refuses them on HTTP', async () => {
    const worker = await servingWorker(server, 'heavy');
    const answered = call(server, 'heavy');
    const job = jobOf(await worker.next(isJob));
    const headers = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`x-h${i}`, 'v'.repeat(1000)]),
    );
    worker.send({ type: 'answer', id: job.id, headers, body: 1 });
    await worker.next(isError('invalid_header'));
    worker.send({ type: 'answer', id: job.id, headers: { 'x-one': 'ok' }, body: 1 });
    const response = await answered;
    assert.equal(response.headers.get('x-one'), 'ok');
    await worker.close();
  });

  test('[P-ANSWER-HEADERS] headers named constructor or __proto__ are headers like any other', async () => {
    const worker = await servingWorker(server, 'proto');
    const answered = call(server, 'proto');
    const job = jobOf(await worker.next(isJob));
    worker.send(
      `{"type":"answer","id":"${job.id}","headers":{"constructor":"c","__proto__":"p","x-a":"1"},"body":1}`,
    );
    const response = await answered;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('constructor'), 'c');
    assert.equal(response.headers.get('__proto__'), 'p');
    await worker.close();
  });

  test('[P-ANSWER-ONCE] answering a job twice over WebSocket is 409 already_answered, as over HTTP', async () => {
    const worker = await servingWorker(server, 'twice');
    const answered = call(server, 'twice');
    const job = jobOf(await worker.next(isJob));
    worker.send({ type: 'answer', id: job.id, body: 1 });
    await answered;
    worker.send({ type: 'answer', id: job.id, body: 2 });
    assert.equal((await worker.next((f) => f.type === 'error')).code, 'already_answered');
    await worker.close();
  });
});

test('[P-BATCH] answerHeadersOf - case variants after a list join the list; a name never lands on the prototype', () => {
  assert.deepEqual(
    { ...answerHeadersOf({ 'set-cookie': ['a=1', 'b=2'], 'Set-Cookie': 'c=3' }) },
    { 'set-cookie': ['a=1', 'b=2', 'c=3'] },
  );
  assert.deepEqual({ ...answerHeadersOf({ 'x-a': ['1', '2'], 'X-A': '3' }) }, { 'x-a': '1, 2, 3' });
  const odd = answerHeadersOf(JSON.parse('{"constructor":"c","__proto__":"p"}'));
  assert.equal(odd.constructor, 'c');
  assert.equal(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value, 'p');
});

describe('a socket and the jobs it holds', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
  });
  after(() => server.close());

  test('[P-WS-CREDIT] a held job answered over HTTP frees its credit slot: a credit-1 socket gets the next job', async () => {
    const worker = await servingWorker(server, 'elsewhere');
    const first = call(server, 'elsewhere', { n: 1 });
    const job = jobOf(await worker.next(isJob));
    const byHttp = await fetch(`${server.url}/jobs/${job.id}`, {
      method: 'POST',
      body: '"by http"',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(byHttp.status, 200);
    assert.equal(await (await first).text(), '"by http"');
    const second = call(server, 'elsewhere', { n: 2 });
    const next = jobOf(await worker.next(isJob));
    assert.deepEqual(next.originalRequest, { n: 2 });
    worker.send({ type: 'answer', id: next.id, body: 2 });
    assert.equal((await second).status, 200);
    // The first job ended elsewhere: a frame about it gets the hub's own word.
    worker.send({ type: 'answer', id: job.id, body: 3 });
    assert.equal((await worker.next((f) => f.type === 'error')).code, 'already_answered');
    await worker.close();
  });

  test('[P-WS-CALLER] a response frame carries every Set-Cookie line, as a list', async () => {
    const worker = await servingWorker(server, 'cookies');
    const caller = await WsClient.open(server.url);
    caller.send({ uid: 'c1', m: 'POST', r: '/service/cookies', d: {} });
    const job = jobOf(await worker.next(isJob));
    worker.send({
      type: 'answer',
      id: job.id,
      headers: { 'set-cookie': ['a=1', 'b=2'], 'x-one': 'y' },
      body: 1,
    });
    const response = await caller.next((f) => f.uid === 'c1');
    const headers = response.h as Record<string, unknown>;
    assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(headers['x-one'], 'y');
    await Promise.all([worker.close(), caller.close()]);
  });
});

describe("a socket's takes and the hub's parked budget", () => {
  test("[P-WS-TAKES] a socket's parked takes hold no HUB_MAX_PARKED slot: sockets serving many services cannot lock callers out", async () => {
    const server = await startServer(testConfig({ maxParked: 3 }));
    try {
      const services = ['s1', 's2', 's3', 's4', 's5'];
      const worker = await WsClient.open(server.url);
      worker.send({ type: 'serve', services, credit: 5 });
      await worker.next((f) => f.type === 'serving');
      const answered = call(server, 's5', { n: 5 });
      const job = jobOf(await worker.next(isJob));
      worker.send({ type: 'answer', id: job.id, body: 5 });
      assert.equal((await answered).status, 200);
      assert.equal(worker.pending.filter((f) => f.type === 'error').length, 0);
      await worker.close();
    } finally {
      await server.close();
    }
  });
});

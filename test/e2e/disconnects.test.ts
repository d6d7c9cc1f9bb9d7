import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/http/server.js';
import { startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send, until } from '../support/http.js';

describe('a real server: disconnects, deadlines and long polls over TCP', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
  });
  after(() => server.close());

  const stats = async (service: string) => {
    const found = (await server.hub.status()).services.find((s) => s.service === service);
    return found ?? { queued: 0, inFlight: 0, waitingWorkers: 0, cancelled: 0, calls: 0 };
  };
  const call = (service: string, body = '{}', headers: Record<string, string> = {}) =>
    send(`${server.url}/service/${service}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const poll = (service: string, query = '') =>
    send(`${server.url}/service/${service}/jobs${query}`);
  const answer = (id: string, body: string) =>
    send(`${server.url}/jobs/${id}`, { method: 'POST', body }).reply;

  test('[P-POLL-GONE] a poller that disconnects while parked is removed and never handed a job', async () => {
    const gone = poll('p1');
    await until(async () => (await stats('p1')).waitingWorkers === 1, { what: 'the poll to park' });
    gone.disconnect();
    await until(async () => (await stats('p1')).waitingWorkers === 0, {
      what: 'the poll to be removed',
    });

    const caller = call('p1', '{"n":1}');
    await until(async () => (await stats('p1')).queued === 1, { what: 'the job to queue' });
    const worker = await poll('p1').reply;
    assert.equal(worker.status, 200);
    const job = JSON.parse(worker.body.toString());
    assert.deepEqual(job.originalRequest, { n: 1 });
    assert.equal((await answer(job.id, 'done')).status, 200);
    assert.equal((await caller.reply).body.toString(), 'done');
  });

  test('[P-CALLER-GONE-QUEUED] a caller that disconnects while queued has its job withdrawn', async () => {
    const caller = call('q1');
    await until(async () => (await stats('q1')).queued === 1, { what: 'the job to queue' });
    caller.disconnect();
    await until(async () => (await stats('q1')).cancelled === 1, {
      what: 'the call to be cancelled',
    });
    assert.equal((await stats('q1')).queued, 0);
    assert.equal((await poll('q1', '?timeout=0').reply).status, 204);
    assert.deepEqual(server.hub.parked, { calls: 0, polls: 0 });
  });

  test('[P-CALLER-GONE-IN-FLIGHT] a caller that disconnects while its job is in flight makes the answer 410', async () => {
    const caller = call('f1');
    const worker = await poll('f1').reply;
    const job = JSON.parse(worker.body.toString());
    caller.disconnect();
    await until(async () => (await stats('f1')).cancelled === 1, {
      what: 'the call to be cancelled',
    });
    const late = await answer(job.id, 'too late');
    assert.equal(late.status, 410);
    assert.equal(late.headers['hub-error'], 'caller_gone');
  });

  test('[P-TIMEOUT] a caller past its deadline gets 504 and no worker sees the job', async () => {
    const reply = await call('t1', '{}', { 'hub-timeout': '30' }).reply;
    assert.equal(reply.status, 504);
    assert.equal(reply.headers['hub-error'], 'timeout');
    assert.equal(JSON.parse(reply.body.toString()).error.code, 'timeout');
    assert.equal((await poll('t1', '?timeout=0').reply).status, 204);
  });

  test('[P-POLL-TIMEOUT] a long poll with no job ends 204 after its wait', async () => {
    const started = Date.now();
    const reply = await poll('l1', '?timeout=40').reply;
    assert.equal(reply.status, 204);
    assert.equal(reply.body.byteLength, 0);
    assert.ok(Date.now() - started >= 35, 'the poll waited');
  });

  test('[P-HANDOFF] a parked worker receives a job as soon as a caller sends it', async () => {
    const worker = poll('h1', '?timeout=1000');
    await until(async () => (await stats('h1')).waitingWorkers === 1, { what: 'the poll to park' });
    const caller = call('h1', '"hello"');
    const job = JSON.parse((await worker.reply).body.toString());
    assert.equal(job.originalRequest, 'hello');
    await answer(job.id, 'hi');
    assert.equal((await caller.reply).body.toString(), 'hi');
  });
});

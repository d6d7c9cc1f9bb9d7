import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { isJob, jobOf, WsClient } from '../support/ws.js';

const WORKER = fileURLToPath(new URL('../support/add-worker.mjs', import.meta.url));

async function serverWith(overrides: Partial<Config> = {}): Promise<RunningServer> {
  return startServer(testConfig(overrides));
}

function call(server: RunningServer, service: string, value: unknown, headers = {}) {
  return fetch(`${server.url}/service/${service}`, {
    method: 'POST',
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Waits until the hub has `polls` parked polls (a socket's takes are parked polls). */
async function parkedPolls(server: RunningServer, polls: number): Promise<void> {
  await until(() => server.hub.parked.polls >= polls, {
    what: `${polls} parked polls (${server.hub.parked.polls} now)`,
  });
}

describe('[P-WS-WORKER] workers over WebSocket', () => {
  let server: RunningServer;
  before(async () => {
    server = await serverWith();
  });
  after(() => server.close());

  test('[P-WS-WORKER] an HTTP caller is answered by a WebSocket worker: job frame in, answer frame out', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['add'], credit: 4, worker: 'ws-1' });
    // The hub says when the socket serves: its take is parked by then.
    assert.deepEqual(await worker.next((f) => f.type === 'serving'), {
      type: 'serving',
      services: ['add'],
    });
    assert.equal(server.hub.parked.polls, 1);
    const sockets = async () =>
      (await server.hub.status()).services.find((s) => s.service === 'add')?.webSocketWorkers;
    // [P-STATUS] a socket serving the service counts while it is open.
    assert.equal(await sockets(), 1);
    const answered = call(server, 'add', { first: 1, second: 2 });
    const frame = await worker.next(isJob);
    const job = jobOf(frame);
    assert.deepEqual(job.originalRequest, { first: 1, second: 2 });
    // [P-FLOW] on this channel too.
    assert.match(String((frame.job as { flowId: string }).flowId), /^[0-9a-f]{32}$/);
    worker.send({
      type: 'answer',
      id: job.id,
      status: 201,
      headers: { 'x-sum': '3' },
      body: { answer: 3 },
    });
    const response = await answered;
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-sum'), '3');
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { answer: 3 });
    await worker.close();
    await until(async () => (await sockets()) === 0, {
      what: 'a closed socket to no longer count',
    });
  });

  test('[P-WS-WORKER] serve with encoding "base64" gets every body as the caller\'s exact bytes', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['exact'], credit: 1, encoding: 'base64' });
    await parkedPolls(server, 1);
    const sent = '{ "spaced" :  1 }';
    const answered = fetch(`${server.url}/service/exact`, {
      method: 'POST',
      body: sent,
      headers: { 'content-type': 'application/json' },
    });
    const job = (await worker.next(isJob)).job as {
      id: string;
      encoding?: string;
      originalRequest: string;
    };
    assert.equal(job.encoding, 'base64');
    assert.equal(Buffer.from(job.originalRequest, 'base64').toString(), sent);
    worker.send({ type: 'answer', id: job.id, body: 'ok' });
    assert.equal((await answered).status, 200);
    await worker.close();

    const wrong = await WsClient.open(server.url);
    wrong.send({ type: 'serve', services: ['exact'], credit: 1, encoding: 'hex' });
    const refused = await wrong.next((f) => f.type === 'error');
    assert.equal(refused.code, 'invalid_frame');
    await wrong.close();
  });

  test('[P-WS-CREDIT] the hub never pushes more jobs than the credit; an answer frees a slot, a credit frame resizes', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['credit'], credit: 2 });
    await parkedPolls(server, 1);
    const calls = Array.from({ length: 5 }, (_, i) => call(server, 'credit', { i }));
    const first = [jobOf(await worker.next(isJob)), jobOf(await worker.next(isJob))];
    // Two held, credit 2: the rest stay queued. Once the hub has queued all three
    // (it had them all in hand then), no third job frame may have come.
    const queued = async () =>
      (await server.hub.status()).services.find((s) => s.service === 'credit')?.queued;
    await until(async () => (await queued()) === 3, { what: 'three calls queued' });
    assert.equal(worker.pending.filter(isJob).length, 0);

    worker.send({ type: 'answer', id: first[0]?.id, body: 'done' });
    const third = jobOf(await worker.next(isJob));
    worker.send({ type: 'credit', credit: 4 });
    const rest = [jobOf(await worker.next(isJob)), jobOf(await worker.next(isJob))];
    for (const job of [first[1], third, ...rest])
      worker.send({ type: 'answer', id: job?.id, body: 'done' });
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    await worker.close();
  });

  test('[P-WS-CREDIT] credit lowered while a take is parked: the take gives its slots back, nothing is pushed past the new credit', async () => {
    // A poll wait far longer than the test: only the credit frame can end the parked take.
    const own = await serverWith({ pollTimeoutMs: 60_000 });
    try {
      const worker = await WsClient.open(own.url);
      worker.send({ type: 'serve', services: ['shrink'], credit: 2 });
      await parkedPolls(own, 1);
      worker.send({ type: 'credit', credit: 0 });
      await until(() => own.hub.parked.polls === 0, { what: 'the parked take to end' });
      const answered = call(own, 'shrink', { i: 1 }, { 'hub-no-workers': 'queue' });
      const queued = async () =>
        (await own.hub.status()).services.find((s) => s.service === 'shrink')?.queued;
      await until(async () => (await queued()) === 1, { what: 'the call queued' });
      assert.equal(worker.pending.filter(isJob).length, 0, 'no job past credit 0');
      worker.send({ type: 'credit', credit: 1 });
      const job = jobOf(await worker.next(isJob));
      worker.send({ type: 'answer', id: job.id, body: 'late but fine' });
      assert.equal((await answered).status, 200);
      await worker.close();
    } finally {
      await own.close();
    }
  });

  test('[P-WS-REDELIVER] when a worker socket closes, its held job goes to another worker at once, not a lease later', async () => {
    // A lease far past the call's deadline: only the socket's close can hand the job on in time.
    const own = await serverWith({ leaseMs: 60_000, callTimeoutMs: 5000 });
    try {
      const lost = await WsClient.open(own.url);
      lost.send({ type: 'serve', services: ['add'], credit: 1 });
      await parkedPolls(own, 1);
      const answered = call(own, 'add', { first: 2, second: 2 });
      const taken = jobOf(await lost.next(isJob));
      lost.socket.terminate();

      const poll = await fetch(`${own.url}/service/add/jobs?timeout=4000`);
      assert.equal(poll.status, 200);
      const again = (await poll.json()) as { id: string; attempt: number };
      assert.equal(again.attempt, 2);
      assert.notEqual(again.id, taken.id);
      await fetch(`${own.url}/jobs/${again.id}`, { method: 'POST', body: '4' });
      assert.equal((await answered).status, 200);
      assert.equal(own.hub.parked.polls, 0, 'the closed socket left no parked take');
    } finally {
      await own.close();
    }
  });

  test('[P-WS-REDELIVER] a WebSocket worker process SIGKILLed mid-job: another worker answers long before the lease would end', async () => {
    const own = await serverWith({ leaseMs: 60_000, callTimeoutMs: 5000 });
    const child = spawn(process.execPath, [WORKER, own.url, '1', 'ws-hold'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      await parkedPolls(own, 1);
      const answered = call(own, 'add', { first: 5, second: 5 });
      const [holding] = await once(child.stdout, 'data');
      assert.match(String(holding), /^holding /);
      child.kill('SIGKILL');
      const poll = await fetch(`${own.url}/service/add/jobs?timeout=4000`);
      const again = (await poll.json()) as { id: string; attempt: number };
      assert.equal(again.attempt, 2);
      await fetch(`${own.url}/jobs/${again.id}`, { method: 'POST', body: '10' });
      const response = await answered;
      assert.equal(
        response.status,
        200,
        'answered within the 5 s deadline, not after a 60 s lease',
      );
      assert.equal(await response.text(), '10');
    } finally {
      child.kill('SIGKILL');
      await own.close();
    }
  });

  test('[P-WS-WORKER] heartbeat and fail frames act on held jobs and say what they did', async () => {
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['hb'], credit: 1 });
    await parkedPolls(server, 1);
    const failed = call(server, 'hb', {}, { 'hub-max-attempts': '1' });
    const job = jobOf(await worker.next(isJob));
    worker.send({ type: 'heartbeat', id: job.id });
    const lease = await worker.next((f) => f.type === 'lease');
    assert.equal(lease.id, job.id);
    assert.ok((lease.leaseMs as number) > 0);
    worker.send({ type: 'fail', id: job.id, message: 'cannot', retry: true });
    assert.deepEqual(await worker.next((f) => f.type === 'failed'), {
      type: 'failed',
      id: job.id,
      outcome: 'failed',
    });
    assert.equal((await failed).headers.get('hub-error'), 'worker_failed');
    await worker.close();
  });

  test('[P-WS-WORKER] a mixed fleet: HTTP and WebSocket workers share one queue, HTTP and WebSocket callers are each answered once', async () => {
    let done = false;
    // The WebSocket worker holds its answers until the HTTP worker has answered
    // one: its credit then fills, and the rest of the jobs must go to the HTTP
    // worker. Without this, on a busy machine the socket's credit could take
    // every job while the HTTP worker was between polls.
    let httpAnswered!: () => void;
    const firstHttpAnswer = new Promise<void>((resolve) => {
      httpAnswered = resolve;
    });
    const wsWorker = await WsClient.open(server.url);
    wsWorker.send({ type: 'serve', services: ['mixed'], credit: 8 });
    const wsWorking = (async () => {
      while (!done) {
        const frame = await wsWorker.next(isJob, 100).catch(() => undefined);
        if (!frame) continue;
        const job = jobOf(frame);
        await firstHttpAnswer;
        wsWorker.send({
          type: 'answer',
          id: job.id,
          body: { by: 'ws', echo: job.originalRequest },
        });
      }
    })();
    const httpWorking = (async () => {
      while (!done) {
        const poll = await fetch(`${server.url}/service/mixed/jobs?timeout=100`);
        if (poll.status !== 200) continue;
        const job = (await poll.json()) as { id: string; originalRequest: unknown };
        await fetch(`${server.url}/jobs/${job.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ by: 'http', echo: job.originalRequest }),
        });
        httpAnswered();
      }
    })();
    await parkedPolls(server, 2);
    const wsCaller = await WsClient.open(server.url);
    const httpCalls = Array.from({ length: 20 }, (_, i) => call(server, 'mixed', { http: i }));
    for (let i = 0; i < 20; i++) {
      wsCaller.send({ uid: `c${i}`, m: 'POST', r: '/service/mixed', d: { ws: i } });
    }
    const byHttp = await Promise.all(
      httpCalls.map(
        async (r) => (await (await r).json()) as { by: string; echo: { http: number } },
      ),
    );
    const byWs = [];
    for (let i = 0; i < 20; i++) byWs.push(await wsCaller.next((f) => typeof f.uid === 'string'));
    done = true;
    await Promise.all([wsWorking, httpWorking]);

    // Each caller got the answer to its own request, once.
    assert.deepEqual(
      byHttp.map((a) => a.echo.http),
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const frame of byWs) {
      assert.equal(frame.c, 200);
      assert.equal(
        (frame.d as { echo: { ws: number } }).echo.ws,
        Number(String(frame.uid).slice(1)),
      );
    }
    assert.equal(new Set(byWs.map((f) => f.uid)).size, 20);
    assert.equal(wsCaller.pending.length, 0, 'no second answer');
    const by = [...byHttp, ...byWs.map((f) => f.d as { by: string })].map((a) => a.by);
    assert.ok(by.includes('ws') && by.includes('http'), `served by ${[...new Set(by)]}`);
    await wsCaller.close();
    await wsWorker.close();
  });
});

describe('[P-WS] the channel', () => {
  test('[P-WS] shutdown closes every socket with 1001, after the hub has closed', async () => {
    const server = await serverWith();
    const worker = await WsClient.open(server.url);
    worker.send({ type: 'serve', services: ['add'], credit: 1 });
    await parkedPolls(server, 1);
    await server.close();
    assert.equal((await worker.closed).code, 1001);
    assert.deepEqual(server.hub.parked, { calls: 0, polls: 0 });
  });
});

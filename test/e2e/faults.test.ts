/**
 * The fault test: workers are SIGKILLed in the middle of jobs and polls are cut
 * at random while callers keep calling. Every call must end, before its deadline,
 * with its own right answer; with attempts to spare, a job whose worker died is
 * answered by another worker.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send } from '../support/http.js';
import { WsClient } from '../support/ws.js';

const WORKER = fileURLToPath(new URL('../support/add-worker.mjs', import.meta.url));
const CALL_TIMEOUT_MS = 3000;
/**
 * How much chaos a run gets, counted rather than timed: on a busy machine a
 * worker takes longer to start again, and a run of fixed length once managed
 * only 4 kills. Callers call until both counts are reached.
 */
const KILLS = 5;
const CUT_POLLS = 20;

let started = 0;

/** Workers take turns: one job per poll, batches of up to 4, a WebSocket. */
async function startWorker(url: string): Promise<ChildProcess> {
  const mode = ['single', 'batch', 'ws'][started++ % 3] ?? 'single';
  const child = spawn(process.execPath, [WORKER, url, '2', mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return child;
}

test('[P-LEASE] [P-BATCH] [P-WS-REDELIVER] faults: workers SIGKILLed mid-job (some holding batches, some on WebSockets) and polls and sockets cut at random lose no call', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(
    testConfig({ leaseMs: 150, maxAttempts: 10, callTimeoutMs: CALL_TIMEOUT_MS }),
  );
  const workers = await Promise.all([
    startWorker(server.url),
    startWorker(server.url),
    startWorker(server.url),
  ]);
  const pool = new Pool(server.url, { connections: 8 });
  const outcomes = new Map<string, number>();
  let slowest = 0;
  let kills = 0;
  let cutPolls = 0;
  let batchAnswers = 0;
  let socketAnswers = 0;
  let cutSockets = 0;
  let chaosOver = false;

  const caller = async (loop: number) => {
    for (let i = 0; !chaosOver; i++) {
      const [first, second] = [loop * 100_000 + i, i];
      const started = Date.now();
      const response = await pool.request({
        method: 'POST',
        path: '/service/add',
        headers: { 'content-type': 'application/json', 'hub-timeout': String(CALL_TIMEOUT_MS) },
        body: JSON.stringify({ first, second }),
      });
      const text = await response.body.text();
      if (response.headers['x-answered-by'] === 'batch') batchAnswers++;
      if (response.headers['x-answered-by'] === 'ws') socketAnswers++;
      slowest = Math.max(slowest, Date.now() - started);
      const outcome =
        response.statusCode === 200
          ? text === JSON.stringify({ answer: first + second })
            ? 'right answer'
            : `WRONG ANSWER ${text}`
          : `${response.statusCode} ${response.headers['hub-error']}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  };

  const killer = async () => {
    while (kills < KILLS) {
      await sleep(150 + Math.random() * 150);
      const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
      victim?.kill('SIGKILL');
      kills++;
      workers.push(await startWorker(server.url));
    }
  };

  // Polls that vanish at a random moment: parked, or just after a job was handed
  // to them; every third, a WebSocket worker's socket, cut with the jobs it holds.
  const cutter = async () => {
    while (cutPolls < CUT_POLLS || kills < KILLS) {
      if (cutPolls % 3 === 2) {
        const socket = await WsClient.open(server.url);
        socket.send({ type: 'serve', services: ['add'], credit: 2 });
        await sleep(Math.random() * 40);
        socket.socket.terminate();
        cutSockets++;
      } else {
        const batch = cutPolls % 2 === 0 ? '' : '&max=4';
        const poll = send(`${server.url}/service/add/jobs?timeout=1000${batch}`);
        await sleep(Math.random() * 40);
        poll.disconnect();
      }
      cutPolls++;
    }
  };

  try {
    const chaos = Promise.all([killer(), cutter()]).finally(() => {
      chaosOver = true;
    });
    await Promise.all([caller(1), caller(2), caller(3), caller(4), chaos]);
    const calls = [...outcomes.values()].reduce((a, b) => a + b, 0);
    const status = await server.hub.status();
    const summary = `${calls} calls (${batchAnswers} answered in batches, ${socketAnswers} on WebSockets), ${kills} kills, ${cutPolls} cut polls and sockets (${cutSockets} sockets), ${status.total.redelivered} redelivered, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`;
    t.diagnostic(summary);
    assert.ok(kills >= KILLS && cutPolls >= CUT_POLLS, `not enough chaos: ${summary}`);
    assert.ok(status.total.redelivered > 0, `no job was ever redelivered: ${summary}`);
    assert.ok(batchAnswers > 0, `no call was answered by a batch worker: ${summary}`);
    assert.ok(socketAnswers > 0, `no call was answered by a WebSocket worker: ${summary}`);
    assert.deepEqual([...outcomes.keys()], ['right answer'], summary);
    assert.ok(slowest < CALL_TIMEOUT_MS + 500, `a call took ${slowest} ms: ${summary}`);
    assert.equal(status.total.inFlight + status.total.queued, 0, summary);
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await pool.close();
    await server.close();
  }
});

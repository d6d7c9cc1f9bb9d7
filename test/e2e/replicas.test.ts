/**
 * Three hub processes on one Redis act as one hub ([P-REPLICAS]), and one of
 * them is SIGKILLed mid-run ([P-REPLICA-LOSS]): workers (one job per poll,
 * batches, a WebSocket) and callers are spread over the replicas, so calls are
 * handed across them. Every call made to a survivor gets its own right answer;
 * calls made to the dead replica end with the connection error a client sees
 * when a server dies; no job stays queued or in flight.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { until } from '../support/http.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('../support/add-worker.mjs', import.meta.url));
const CALL_TIMEOUT_MS = 5000;
/** Calls each caller makes after the kill: enough for leases to lapse and be reaped. */
const CALLS_AFTER_KILL = 40;

interface Replica {
  readonly url: string;
  readonly process: ChildProcess;
}

async function startReplica(prefix: string): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HUB_STORE: 'redis',
      REDIS_URL,
      HUB_REDIS_PREFIX: prefix,
      HUB_LEASE_MS: '300',
      HUB_MAX_ATTEMPTS: '10',
      HUB_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1]) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`replica exited with ${code}: ${output}`)));
  });
  return { url, process: child };
}

async function startWorker(url: string, mode: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER, url, '2', mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return child;
}

async function status(url: string) {
  return (await (await fetch(`${url}/status`)).json()) as {
    total: { queued: number; inFlight: number; redelivered: number; answered: number };
  };
}

test('[P-REPLICAS] [P-REPLICA-LOSS] three replicas act as one hub; one SIGKILLed mid-run loses no call made to the others', {
  ...needsRedis,
  timeout: 60_000,
}, async (t) => {
  const prefix = testPrefix();
  const replicas = await Promise.all([
    startReplica(prefix),
    startReplica(prefix),
    startReplica(prefix),
  ]);
  const [a, b, victim] = replicas as [Replica, Replica, Replica];
  const workers = await Promise.all([
    startWorker(a.url, 'single'),
    startWorker(b.url, 'batch'),
    // The victim's own workers: a WebSocket and a poller, cut off with it.
    startWorker(victim.url, 'ws'),
    startWorker(victim.url, 'single'),
  ]);
  const pools = replicas.map((replica) => new Pool(replica.url, { connections: 4 }));
  const outcomes = new Map<string, number>();
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  let killed = false;
  let slowest = 0;

  const caller = async (pool: Pool, survivor: boolean, loop: number) => {
    let afterKill = 0;
    for (let i = 0; afterKill < CALLS_AFTER_KILL; i++) {
      if (killed) afterKill++;
      if (!survivor && killed) return;
      const [first, second] = [loop * 100_000 + i, i];
      const started = Date.now();
      try {
        const response = await pool.request({
          method: 'POST',
          path: '/service/add',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ first, second }),
        });
        const text = await response.body.text();
        if (survivor) slowest = Math.max(slowest, Date.now() - started);
        count(
          response.statusCode === 200
            ? text === JSON.stringify({ answer: first + second })
              ? 'right answer'
              : `WRONG ANSWER ${text}`
            : `${response.statusCode} ${response.headers['hub-error']}`,
        );
      } catch (error) {
        // Only a call made to the replica that died may end without a response.
        count(survivor ? `SURVIVOR CALL FAILED ${String(error)}` : 'dead replica: connection lost');
      }
    }
  };

  try {
    const callers = [0, 1, 2].flatMap((r) =>
      [1, 2].map((n) => caller(pools[r] as Pool, r < 2, r * 10 + n)),
    );
    // Let calls flow across replicas, then kill one with jobs and polls in hand.
    await until(async () => (await status(a.url)).total.answered > 50, {
      what: 'calls flowing',
      timeoutMs: 20_000,
    });
    victim.process.kill('SIGKILL');
    killed = true;
    await Promise.all(callers);

    const summary = `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, slowest ${slowest} ms`;
    t.diagnostic(summary);
    for (const outcome of outcomes.keys()) {
      assert.ok(
        outcome === 'right answer' || outcome === 'dead replica: connection lost',
        `${outcome}: ${summary}`,
      );
    }
    assert.ok((outcomes.get('right answer') ?? 0) > CALLS_AFTER_KILL * 4, summary);
    assert.ok(slowest < CALL_TIMEOUT_MS, `a call to a survivor took ${slowest} ms: ${summary}`);
    // Its leases lapsed and were reaped by the survivors; nothing stays held.
    await until(
      async () => {
        const { total } = await status(a.url);
        return total.inFlight + total.queued === 0;
      },
      { what: 'nothing queued or in flight', timeoutMs: 10_000 },
    );
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(pools.map((pool) => pool.destroy()));
    for (const replica of replicas) {
      if (replica.process.exitCode === null && replica.process.signalCode === null) {
        const exited = once(replica.process, 'exit');
        replica.process.kill('SIGTERM');
        await exited;
      }
    }
    await sleep(0);
  }
});

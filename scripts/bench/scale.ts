/** The scale checks: many services, deep queues, and many parked requests at once. */
import { Pool } from 'undici';
import { measureAlternating, type Row, roundsText, type Windows } from './measure.js';
import { startChild } from './proc.js';
import { switchboard } from './systems.js';

export interface ScaleResult {
  readonly check: string;
  readonly small: string;
  readonly large: string;
  /** large ÷ small for throughputs, large ÷ small for costs; see `meaning`. */
  readonly ratio: number;
  readonly meaning: string;
  /** For the parked check: the hub's worst event-loop delay p99 while loaded. */
  readonly eventLoopP99Ms?: number;
}

export async function runScaleChecks(
  quick: boolean,
  windows: Windows,
  rounds: number,
): Promise<ScaleResult[]> {
  return [
    await services(quick ? 100 : 1000, windows, rounds),
    await queueDepth(quick),
    await parked(quick),
  ];
}

async function services(count: number, windows: Windows, rounds: number): Promise<ScaleResult> {
  const row = { ...windows, concurrency: 16, payloadBytes: 100 };
  const [one, many] = await measureAlternating(
    [1, count].map((services) => ({ system: switchboard, options: { ...row, services } })),
    rounds,
  );
  if (!one || !many) throw new Error('the services check measured nothing');
  const runs = (r: Row) => {
    const text = roundsText(r);
    return text === undefined ? '' : ` (runs: ${text})`;
  };
  return {
    check: `${count} services in use vs 1 (C=16)`,
    small: `${one.reqPerSec.toFixed(0)} req/s${runs(one)}`,
    large: `${many.reqPerSec.toFixed(0)} req/s${runs(many)}`,
    ratio: many.reqPerSec / one.reqPerSec,
    meaning: 'throughput ratio; 1.0 means no cost',
  };
}

async function queueDepth(quick: boolean): Promise<ScaleResult> {
  const deep = quick ? 10_000 : 100_000;
  const rounds = quick ? '5000' : '20000';
  const run = async (depth: number) => {
    const child = await startChild(
      'scripts/bench/targets/queue-depth.ts',
      [String(depth), rounds],
      /RESULT (\d+)/,
    );
    await child.stop();
    return Number(child.ready);
  };
  const shallow = await run(10);
  const deepNs = await run(deep);
  return {
    check: `enqueue + take with ${deep} jobs queued vs 10 (in-process core)`,
    small: `${(shallow / 1000).toFixed(2)} µs`,
    large: `${(deepNs / 1000).toFixed(2)} µs`,
    ratio: deepNs / shallow,
    meaning: 'cost ratio; 1.0 means O(1)',
  };
}

/** Parked callers and pollers held open while a steady 1,000 calls/s flow through. */
async function parked(quick: boolean): Promise<ScaleResult> {
  const callers = quick ? 1000 : 10_000;
  const pollers = quick ? 100 : 1000;
  const hub = await startChild('scripts/bench/targets/hub-probe.ts', [], /READY (http:\/\/\S+)/);
  const stats: { p99Ms: number; rssMiB: number; heapMiB: number }[] = [];
  hub.process.stdout?.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/STATS (\{.*\})/g))
      stats.push(JSON.parse(match[1] ?? '{}'));
  });
  const worker = await startChild(
    'scripts/bench/targets/hub-worker.ts',
    [hub.ready, '16', '1'],
    /(READY)/,
  );
  const idle = await nextStats(stats);
  const parkedCalls = parkCalls(hub.ready, callers);
  const pollerPool = new Pool(hub.ready, { connections: pollers });
  const flowPool = new Pool(hub.ready, { connections: 64 });
  const quiet = () => {};
  const held: Promise<unknown>[] = [...parkedCalls.held];
  for (let i = 0; i < pollers; i++) {
    held.push(
      pollerPool
        .request({ method: 'GET', path: '/service/idle/jobs?timeout=120000' })
        .then((r) => r.body.dump(), quiet),
    );
  }
  // The worker parks one take for `add`, whatever its concurrency.
  await waitFor(hub.ready, callers + pollers + 1);
  const during = stats.length;
  // 1,000 calls/s: ten calls every 10 ms, for a bounded time.
  const flowMs = quick ? 2000 : 5000;
  let flowed = 0;
  let failed = 0;
  const flow = setInterval(() => {
    for (let i = 0; i < 10; i++) {
      flowed++;
      flowPool
        .request({
          method: 'POST',
          path: '/service/add',
          headers: { 'content-type': 'application/json' },
          body: '{"first":1,"second":2}',
        })
        .then(
          async (r) => {
            const answer = (await r.body.json()) as { answer?: number };
            if (answer.answer !== 3) failed++;
          },
          () => failed++,
        );
    }
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, flowMs));
  clearInterval(flow);
  await new Promise((resolve) => setTimeout(resolve, 600));
  const loaded = stats.slice(during);
  const p99 = Math.max(...loaded.map((s) => s.p99Ms));
  const rss = Math.max(...loaded.map((s) => s.rssMiB));
  const heap = Math.max(...loaded.map((s) => s.heapMiB));
  await worker.stop();
  await hub.stop();
  await Promise.all(held);
  await Promise.all([parkedCalls.pool.destroy(), pollerPool.destroy(), flowPool.close()]);
  return {
    check: `${callers} parked callers + ${pollers} parked pollers while ${flowed} calls flow at 1,000/s (${failed} failed)`,
    small: `idle RSS ${idle.rssMiB.toFixed(0)} MiB`,
    large: `RSS ${rss.toFixed(0)} MiB (+${(rss - idle.rssMiB).toFixed(0)} MiB; JS heap ${idle.heapMiB.toFixed(0)} → ${heap.toFixed(0)} MiB), event-loop delay p99 ${p99.toFixed(1)} ms`,
    ratio: rss - idle.rssMiB,
    meaning: 'MiB of RSS above idle',
    eventLoopP99Ms: p99,
  };
}

async function nextStats(stats: { p99Ms: number; rssMiB: number; heapMiB: number }[]) {
  const seen = stats.length;
  while (stats.length === seen) await new Promise((resolve) => setTimeout(resolve, 50));
  const last = stats.at(-1);
  if (!last) throw new Error('no stats');
  return last;
}

async function waitFor(hubUrl: string, parked: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = (await (await fetch(`${hubUrl}/status`)).json()) as {
      parkedCalls: number;
      parkedPolls: number;
    };
    if (status.parkedCalls + status.parkedPolls >= parked) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${parked} requests parked after 60 s`);
}

/** Opens `count` calls that no worker will answer (for 10 minutes), each on its own connection. */
export function parkCalls(hubUrl: string, count: number): { pool: Pool; held: Promise<unknown>[] } {
  const pool = new Pool(hubUrl, { connections: count });
  const held = Array.from({ length: count }, (_, i) =>
    pool
      .request({
        method: 'POST',
        path: `/service/parked-${i % 100}`,
        // Nobody serves these services: queue the calls anyway ([P-NO-WORKERS]).
        headers: {
          'hub-timeout': '600000',
          'content-type': 'application/json',
          'hub-no-workers': 'queue',
        },
        body: '{}',
      })
      .then(
        (response) => response.body.dump(),
        () => {},
      ),
  );
  return { pool, held };
}

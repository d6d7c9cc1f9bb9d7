import { runLoad } from './load.js';
import { cpuMicros, memoryMiB } from './proc.js';
import type { Running, System } from './systems.js';

export interface Windows {
  /** The warm-up lasts at least this long, */
  readonly warmupMs: number;
  /** and until this many calls have been made, */
  readonly warmupCalls: number;
  /** but never longer than this. */
  readonly maxWarmupMs: number;
  readonly windowMs: number;
}

export interface Row {
  readonly system: string;
  readonly concurrency: number;
  readonly payloadBytes: number;
  readonly services: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** CPU the measured process (hub, direct server or broker) spent per call, µs. */
  readonly cpuPerCallUs: number | undefined;
  readonly peakRssMiB: number | undefined;
  /** Redis commands per call (scripts and others, pipelined or not): rows of a hub on Redis. */
  readonly storeCommandsPerCall?: number;
  /** With `measureAlternating`: req/s of every run, of which this row is the median. */
  readonly runsReqPerSec?: readonly number[];
}

export type MeasureOptions = Windows & {
  concurrency: number;
  payloadBytes: number;
  services?: number;
};

/** A request body of about `bytes` bytes; the add handler ignores the padding. */
export function body(i: number, bytes: number) {
  const base = { first: i, second: 7 };
  const room = bytes - JSON.stringify(base).length - 10;
  return room > 0 ? { ...base, pad: 'x'.repeat(room) } : base;
}

/** One row: a fresh system, a warm-up, then a measured window of closed-loop calls. */
export async function measure(system: System, options: MeasureOptions): Promise<Row> {
  const { concurrency, services = 1 } = options;
  const running = await system.start({ concurrency, services });
  try {
    const load = loadOn(running, options);
    await warmUp(load, options);
    return await load.measured(system.name, options.windowMs);
  } finally {
    await running.stop();
  }
}

/**
 * A full run's warm-up. V8 optimizes a function after it has run often enough,
 * so what warms a process is calls, not seconds: a fresh hub at C=1 made 380
 * calls in its first second and took about 7,500 calls (6 s) to reach its steady
 * 2,300 req/s, while direct HTTP was there within 1 s. A warm-up of a fixed time
 * measured the slower systems colder than the faster ones.
 */
export const STEADY_WARMUP = { warmupMs: 1000, warmupCalls: 10_000, maxWarmupMs: 10_000 };

/** Unmeasured calls, in short loads, until `windows` says the system is warm. */
export async function warmUp(
  load: (windowMs: number) => Promise<{ completed: number }>,
  windows: Omit<Windows, 'windowMs'>,
): Promise<void> {
  const start = performance.now();
  let calls = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    const warm = elapsed >= windows.warmupMs && calls >= windows.warmupCalls;
    if (warm || elapsed >= windows.maxWarmupMs) return;
    calls += (await load(Math.min(500, windows.maxWarmupMs - elapsed))).completed;
  }
}

/** Closed-loop calls on a running system: unmeasured for a warm-up, or measured into a row. */
function loadOn(running: Running, options: MeasureOptions) {
  const { concurrency, payloadBytes, services = 1 } = options;
  const pid = running.measuredPid;
  const bodies = Array.from({ length: 64 }, (_, i) => body(i, payloadBytes));
  let n = 0;
  const request = () => running.request(bodies[n++ % bodies.length] ?? { first: 0, second: 0 });
  const load = (windowMs: number) => runLoad({ concurrency, warmupMs: 0, windowMs, request });
  return Object.assign(load, {
    async measured(system: string, windowMs: number): Promise<Row> {
      const pids = pid === undefined ? [] : [pid, ...(running.alsoMeasuredPids ?? [])];
      const cpuOfAll = () => pids.reduce((sum, p) => sum + cpuMicros(p), 0);
      const cpuBefore = pid === undefined ? undefined : cpuOfAll();
      const commandsBefore = await running.storeCommands?.();
      const result = await load(windowMs);
      const cpu = pid === undefined || cpuBefore === undefined ? undefined : cpuOfAll() - cpuBefore;
      const commands =
        commandsBefore === undefined || !running.storeCommands
          ? undefined
          : (await running.storeCommands()) - commandsBefore;
      return {
        system,
        concurrency,
        payloadBytes,
        services,
        reqPerSec: result.reqPerSec,
        p50Ms: result.p50Ms,
        p90Ms: result.p90Ms,
        p99Ms: result.p99Ms,
        errors: result.errors,
        firstError: result.firstError,
        cpuPerCallUs:
          cpu === undefined || result.completed === 0 ? undefined : cpu / result.completed,
        peakRssMiB: pid === undefined ? undefined : memoryMiB(pid).peak,
        ...(commands !== undefined &&
          result.completed > 0 && { storeCommandsPerCall: commands / result.completed }),
      };
    },
  });
}

/**
 * Runs every system at once, idle but for one at a time: after a warm-up each,
 * the load moves from one to the next in slices of `windowMs`, alternating the
 * order. Slices of two systems with the same index ran side by side, a second
 * apart, with no start-up between them: the pairing that resolves a few per cent
 * on a VM whose rounds drift by more. The systems are started twice, in one
 * order and then the other, half the slices each: on this VM a system started
 * later ran a few per cent faster, as large as the effects looked for. Each
 * system's row is its median slice, with every slice's req/s.
 */
export async function measureInterleaved(
  systems: readonly System[],
  options: MeasureOptions,
  slices: number,
  onSlice: (row: Row) => void = () => {},
): Promise<Row[]> {
  const runs: Row[][] = systems.map(() => []);
  const forward = [...systems.entries()];
  const backward = [...forward].reverse();
  for (const startOrder of [forward, backward]) {
    const running: Running[] = [];
    try {
      const loads = new Map<number, ReturnType<typeof loadOn>>();
      for (const [i, system] of startOrder) {
        const started = await system.start({ concurrency: options.concurrency, services: 1 });
        running.push(started);
        loads.set(i, loadOn(started, options));
      }
      for (const load of loads.values()) await warmUp(load, options);
      for (let slice = 0; slice < Math.ceil(slices / 2); slice++) {
        for (const [i, system] of slice % 2 === 0 ? forward : backward) {
          const row = await loads.get(i)?.measured(system.name, options.windowMs);
          if (!row) continue;
          onSlice(row);
          runs[i]?.push(row);
        }
      }
    } finally {
      for (const r of running) await r.stop();
    }
  }
  return runs.map(medianRow);
}

/** The run with the median req/s, carrying every run's req/s in order. */
function medianRow(rows: readonly Row[]): Row {
  const sorted = [...rows].sort((a, b) => a.reqPerSec - b.reqPerSec);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error('no runs measured');
  return { ...median, runsReqPerSec: rows.map((r) => r.reqPerSec) };
}

/**
 * Measures the cases in turn, `rounds` times over, and keeps for each the run with
 * the median req/s. A shared machine has noisy moments; alternating the cases and
 * taking medians keeps one such moment from deciding a ratio. Every other round
 * runs the cases in reverse, so none is always the first after a pause or the
 * last before one; each case's runs stay in round order, so runs of two cases with
 * the same index ran side by side.
 */
export async function measureAlternating(
  cases: readonly { system: System; options: MeasureOptions }[],
  rounds: number,
  onRun: (row: Row) => void = () => {},
): Promise<Row[]> {
  const runs: Row[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = [...cases.entries()];
    if (round % 2 === 1) order.reverse();
    for (const [i, { system, options }] of order) {
      const row = await measure(system, options);
      onRun(row);
      runs[i]?.push(row);
    }
  }
  return runs.map(medianRow);
}

/** Every round's req/s behind a median row, as `a / b / c`; undefined for a single run. */
export function roundsText(row: Row): string | undefined {
  const runs = row.runsReqPerSec;
  return runs && runs.length > 1 ? runs.map((r) => r.toFixed(0)).join(' / ') : undefined;
}

import { runLoad } from './load.js';
import { cpuMicros, memoryMiB } from './proc.js';
import type { System } from './systems.js';

export interface Windows {
  readonly warmupMs: number;
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
  const { concurrency, payloadBytes, services = 1 } = options;
  const running = await system.start({ concurrency, services });
  try {
    const pid = running.measuredPid;
    const bodies = Array.from({ length: 64 }, (_, i) => body(i, payloadBytes));
    let n = 0;
    const request = () => running.request(bodies[n++ % bodies.length] ?? { first: 0, second: 0 });
    await runLoad({ concurrency, warmupMs: 0, windowMs: options.warmupMs, request });
    const cpuBefore = pid === undefined ? undefined : cpuMicros(pid);
    const result = await runLoad({ concurrency, warmupMs: 0, windowMs: options.windowMs, request });
    const cpu =
      pid === undefined || cpuBefore === undefined ? undefined : cpuMicros(pid) - cpuBefore;
    return {
      system: system.name,
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
    };
  } finally {
    await running.stop();
  }
}

/**
 * Measures the cases in turn, `rounds` times over, and keeps for each the run with
 * the median req/s. A shared machine has noisy moments; alternating the cases and
 * taking medians keeps one such moment from deciding a ratio.
 */
export async function measureAlternating(
  cases: readonly { system: System; options: MeasureOptions }[],
  rounds: number,
  onRun: (row: Row) => void = () => {},
): Promise<Row[]> {
  const runs: Row[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, { system, options }] of cases.entries()) {
      const row = await measure(system, options);
      onRun(row);
      runs[i]?.push(row);
    }
  }
  return runs.map((rows) => {
    const sorted = [...rows].sort((a, b) => a.reqPerSec - b.reqPerSec);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    if (!median) throw new Error('no runs measured');
    return { ...median, runsReqPerSec: rows.map((r) => r.reqPerSec) };
  });
}

/** Every round's req/s behind a median row, as `a / b / c`; undefined for a single run. */
export function roundsText(row: Row): string | undefined {
  const runs = row.runsReqPerSec;
  return runs && runs.length > 1 ? runs.map((r) => r.toFixed(0)).join(' / ') : undefined;
}

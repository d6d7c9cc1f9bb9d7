import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LoadOptions {
  /** Closed-loop callers: each starts its next request when its last one ends. */
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  /** One request; resolves if the answer was right, rejects otherwise. */
  readonly request: () => Promise<void>;
}

export interface LoadResult {
  readonly completed: number;
  readonly errors: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly firstError: string | undefined;
}

/**
 * Runs `concurrency` loops of `request` for a warm-up, then a measured window.
 * Only requests that start and end inside the window count; no request starts
 * after the window ends, and the loops are bounded by time.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const histogram: RecordableHistogram = createHistogram();
  const start = performance.now();
  const windowStart = start + options.warmupMs;
  const windowEnd = windowStart + options.windowMs;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;

  const loop = async () => {
    for (;;) {
      const began = performance.now();
      if (began >= windowEnd) return;
      let ok = true;
      try {
        await options.request();
      } catch (error) {
        ok = false;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      const ended = performance.now();
      if (began < windowStart || ended > windowEnd) continue;
      if (ok) {
        completed++;
        histogram.record(Math.max(1, Math.round((ended - began) * 1000)));
      } else {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const us = (p: number) => (completed === 0 ? 0 : histogram.percentile(p) / 1000);
  return {
    completed,
    errors,
    reqPerSec: completed / (options.windowMs / 1000),
    p50Ms: us(50),
    p90Ms: us(90),
    p99Ms: us(99),
    firstError,
  };
}

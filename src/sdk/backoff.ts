export interface BackoffOptions {
  /** The first delay's ceiling, in milliseconds. @default 100 */
  readonly initialMs?: number;
  /** The largest delay, in milliseconds. @default 5000 */
  readonly maxMs?: number;
}

/**
 * Capped exponential backoff with full jitter (each delay is random in
 * [floor, ceiling], the ceiling doubling up to `maxMs`): many workers that lost the
 * same hub spread their retries instead of arriving together. The floor keeps a
 * failing loop from ever spinning.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #attempt = 0;

  constructor({ initialMs = 100, maxMs = 5000 }: BackoffOptions = {}) {
    this.#initialMs = initialMs;
    this.#maxMs = Math.max(maxMs, initialMs);
  }

  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const floor = Math.min(10, ceiling);
    return floor + Math.random() * (ceiling - floor);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Sleeps `ms`, or less if `signal` aborts first; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

import type { CallEnd, HubObserver } from '../core/observer.js';
import { ServiceLabels } from './service-labels.js';

/** The dashboard's window: the last minute, one slot a second. */
const SLOTS = 60;

/**
 * Upper bounds of the latency classes, in milliseconds, each about 1.5 times the
 * last: a percentile read from them is within that factor, which is what a
 * dashboard needs, for a fixed few numbers per second per service.
 */
const BOUNDS_MS = Array.from({ length: 28 }, (_, i) => 0.25 * 1.5 ** i);

/** One second of one service: calls ended, and how many fell in each latency class. */
interface Slot {
  second: number;
  calls: number;
  readonly classes: number[];
}

/** A service's figures over the last minute. */
export interface ServiceMinute {
  readonly service: string;
  /** Calls ended per second, averaged over the minute. */
  readonly callsPerSecond: number;
  /** Median and 99th percentile call latency, in milliseconds; undefined with no calls. */
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Calls ended in each of the last 60 seconds, oldest first: the chart. */
  readonly perSecond: readonly number[];
}

/**
 * Throughput and latency per service over the last minute, for the dashboard
 * (docs/dashboard.md). Each call costs two increments in a ring of one-second
 * slots; services are bounded as the metrics' labels are (the rest are `other`).
 */
export class LiveStats implements HubObserver {
  readonly #labels: ServiceLabels;
  readonly #rings = new Map<string, Slot[]>();
  readonly #now: () => number;

  constructor({ maxServices, now = Date.now }: { maxServices: number; now?: () => number }) {
    this.#labels = new ServiceLabels(maxServices, now);
    this.#labels.forget = ({ service }) => this.#rings.delete(service);
    this.#now = now;
  }

  callEnded({ service, outcome, ms }: CallEnd): void {
    if (outcome === 'answered' || outcome === 'worker_error') this.#labels.earn(service);
    const slot = this.#slot(this.#labels.of(service).service, Math.floor(this.#now() / 1000));
    slot.calls++;
    const found = BOUNDS_MS.findIndex((bound) => ms <= bound);
    const index = found === -1 ? BOUNDS_MS.length : found;
    slot.classes[index] = (slot.classes[index] ?? 0) + 1;
  }

  jobTaken(service: string): void {
    this.#labels.earn(service);
  }

  jobRetried(): void {}

  /** Every service seen, over the minute up to now. */
  lastMinute(): ServiceMinute[] {
    const now = Math.floor(this.#now() / 1000);
    return [...this.#rings].map(([service, ring]) => {
      const perSecond: number[] = [];
      const classes = new Array<number>(BOUNDS_MS.length + 1).fill(0);
      for (let second = now - SLOTS + 1; second <= now; second++) {
        const slot = ring[second % SLOTS];
        const current = slot?.second === second;
        perSecond.push(current ? slot.calls : 0);
        if (current) {
          for (const [i, n] of slot.classes.entries()) classes[i] = (classes[i] ?? 0) + (n ?? 0);
        }
      }
      const calls = perSecond.reduce((sum, n) => sum + n, 0);
      return {
        service,
        callsPerSecond: calls / SLOTS,
        p50Ms: percentile(classes, calls, 0.5),
        p99Ms: percentile(classes, calls, 0.99),
        perSecond,
      };
    });
  }

  #slot(service: string, second: number): Slot {
    let ring = this.#rings.get(service);
    if (!ring) {
      ring = [];
      this.#rings.set(service, ring);
    }
    const index = second % SLOTS;
    let slot = ring[index];
    if (!slot) {
      slot = { second, calls: 0, classes: [] };
      ring[index] = slot;
    } else if (slot.second !== second) {
      // A slot a minute old: start it afresh.
      slot.second = second;
      slot.calls = 0;
      slot.classes.length = 0;
    }
    return slot;
  }
}

/** The upper bound of the class the `q` quantile falls in; the largest bound past the last. */
function percentile(classes: readonly number[], total: number, q: number): number | undefined {
  if (total === 0) return undefined;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (const [i, n] of classes.entries()) {
    seen += n;
    if (seen >= rank) return BOUNDS_MS[i] ?? BOUNDS_MS[BOUNDS_MS.length - 1];
  }
  return BOUNDS_MS[BOUNDS_MS.length - 1];
}

/** The label every service without one of its own shares. */
export const OTHER_SERVICE = 'other';

/** How long a label may go unused before a newly earned one may take its place. */
export const LABEL_IDLE_MS = 10 * 60 * 1000;

/** A service's label object, made once: the hot path allocates nothing. */
export interface ServiceLabel {
  readonly service: string;
}

interface Held {
  readonly label: ServiceLabel;
  usedAt: number;
}

/**
 * The `service` label of each service, bounded at `max`. A service earns a label
 * of its own only once it is real: a worker took one of its jobs, or one of its
 * calls was answered (`earn`). Until then it shares `other`, so calls to made-up
 * names (each refused `no_workers`) cannot take every label for good. When all
 * are taken, a newly earned label replaces the one unused longest, if that one
 * has been idle for `LABEL_IDLE_MS`; `forget` is told, so its series can go.
 */
export class ServiceLabels {
  readonly #max: number;
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();
  readonly #other: ServiceLabel = { service: OTHER_SERVICE };
  /** Told when a label is let go, to drop what was kept under it. */
  forget: (label: ServiceLabel) => void = () => {};

  constructor(max: number, now: () => number = Date.now) {
    this.#max = max;
    this.#now = now;
  }

  /** The service's own label if it has earned one, else `other`. */
  of(service: string): ServiceLabel {
    const held = this.#held.get(service);
    if (!held) return this.#other;
    held.usedAt = this.#now();
    return held.label;
  }

  /** The service is real: it gets a label of its own if one is free, or idle. */
  earn(service: string): void {
    if (this.#held.has(service)) return;
    if (this.#held.size >= this.#max && !this.#letIdleGo()) return;
    this.#held.set(service, { label: { service }, usedAt: this.#now() });
  }

  /** Frees the label unused longest, if it has been idle long enough. Only when all are taken. */
  #letIdleGo(): boolean {
    let oldest: [string, Held] | undefined;
    for (const entry of this.#held) {
      if (!oldest || entry[1].usedAt < oldest[1].usedAt) oldest = entry;
    }
    if (!oldest || this.#now() - oldest[1].usedAt < LABEL_IDLE_MS) return false;
    this.#held.delete(oldest[0]);
    this.forget(oldest[1].label);
    return true;
  }
}

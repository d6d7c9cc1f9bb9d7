/** How a job ended, remembered so a late answer gets a precise error. */
export type FinishedState = 'answered' | 'caller_gone';

interface Entry {
  readonly state: FinishedState;
  readonly expiresAt: number;
}

/**
 * Remembers recently finished job ids for `ttlMs`, at most `maxEntries` of them.
 * Every entry lives equally long, so insertion order is expiry order: expired
 * entries are dropped from the front as new ones arrive, with no timer and no scan.
 */
export class FinishedJobs {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(id: string, state: FinishedState): void {
    if (this.#maxEntries === 0) return;
    const now = this.#now();
    this.#dropExpired(now);
    if (this.#entries.size >= this.#maxEntries) this.#dropOldest();
    this.#entries.set(id, { state, expiresAt: now + this.#ttlMs });
  }

  get(id: string): FinishedState | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.state;
  }

  #dropExpired(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(id);
    }
  }

  #dropOldest(): void {
    const oldest = this.#entries.keys().next();
    if (!oldest.done) this.#entries.delete(oldest.value);
  }
}

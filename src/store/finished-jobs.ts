/** How a delivery ended, remembered so a late answer gets a precise error. */
export type FinishedState = 'answered' | 'caller_gone' | 'lease_lost';

/** The states by index: an entry packs its state's index with the time it was added. */
const STATES: readonly FinishedState[] = ['answered', 'caller_gone', 'lease_lost'];

/**
 * Remembers recently finished ids for `ttlMs`, at most `maxEntries` of them, in
 * two generations of maps: new ids go into the current one; when it is full, or
 * older than the time to live, it becomes the previous one and the previous one is
 * dropped whole. Every operation is O(1), with no timer and no iteration: deleting
 * entries one by one from the front of a big Map and iterating it again (this
 * class's first design) made each add scan V8's tombstones, ~150 µs per call at
 * 100,000 entries. An entry is one small integer, when it was added within its
 * generation and its state, not an object: every entry outlives the young
 * generation, and an object per call to copy out of it cost more than the map.
 */
export class FinishedJobs {
  #current = new Map<string, number>();
  #previous = new Map<string, number>();
  /** When each generation began: its entries' times count from there. */
  #currentSince = 0;
  #previousSince = 0;
  #lastAddAt = 0;
  readonly #ttlMs: number;
  readonly #generationSize: number;
  readonly #keepPrevious: boolean;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#generationSize = Math.max(1, Math.floor(options.maxEntries / 2));
    this.#keepPrevious = options.maxEntries >= 2;
    this.#now = options.now ?? Date.now;
    if (options.maxEntries === 0) this.add = () => {};
  }

  /** Ids held now, some perhaps expired but not yet dropped. */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  add(id: string, state: FinishedState): void {
    const now = this.#now();
    if (now - this.#lastAddAt >= this.#ttlMs) {
      // Everything held has expired.
      this.#previous = new Map();
      this.#current = new Map();
      this.#currentSince = now;
    } else if (
      this.#current.size >= this.#generationSize ||
      now - this.#currentSince >= this.#ttlMs
    ) {
      this.#previous = this.#keepPrevious ? this.#current : new Map();
      this.#previousSince = this.#currentSince;
      this.#current = new Map();
      this.#currentSince = now;
    }
    // A generation lasts at most the time to live, so this stays a small integer.
    this.#current.set(id, (now - this.#currentSince) * STATES.length + STATES.indexOf(state));
    this.#lastAddAt = now;
  }

  get(id: string): FinishedState | undefined {
    const current = this.#current.get(id);
    if (current !== undefined) return this.#unpack(current, this.#currentSince);
    const previous = this.#previous.get(id);
    return previous === undefined ? undefined : this.#unpack(previous, this.#previousSince);
  }

  #unpack(entry: number, since: number): FinishedState | undefined {
    const addedAt = since + Math.floor(entry / STATES.length);
    if (addedAt + this.#ttlMs <= this.#now()) return undefined;
    return STATES[entry % STATES.length];
  }
}

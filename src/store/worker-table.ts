/** One worker as a service has seen it. */
export interface WorkerEntry {
  readonly id: string;
  lastSeenAt: number;
  inFlight: number;
}

/**
 * The workers a service has seen within `windowMs`, for no-responders and
 * `GET /services`. The map is kept in order of last sighting (a sighting moves
 * its entry to the end), so forgetting stale entries only ever looks at the front.
 */
export class WorkerTable {
  readonly #entries = new Map<string, WorkerEntry>();
  readonly #windowMs: number;
  readonly #maxWorkers: number;
  #newest: WorkerEntry | undefined;

  /**
   * `maxWorkers`: the most remembered, the longest unseen going first; with
   * HUB_MAX_SERVICES services it bounds the table whatever ids workers send.
   */
  constructor(windowMs: number, maxWorkers: number) {
    this.#windowMs = windowMs;
    this.#maxWorkers = maxWorkers;
  }

  /** When any worker was last seen; 0 if none has been. */
  get lastSeenAt(): number {
    return this.#newest?.lastSeenAt ?? 0;
  }

  /** Records a sighting of worker `id` at `now` and returns its entry. */
  see(id: string, now: number): WorkerEntry {
    const newest = this.#newest;
    // The common case, one worker process polling many times over, costs no map work.
    if (newest?.id === id) {
      newest.lastSeenAt = now;
      return newest;
    }
    let entry = this.#entries.get(id);
    if (entry) this.#entries.delete(id);
    else entry = { id, lastSeenAt: now, inFlight: 0 };
    entry.lastSeenAt = now;
    this.#entries.set(id, entry);
    this.#newest = entry;
    this.#forgetStale(now);
    return entry;
  }

  /** Workers seen within the window, longest unseen first. */
  list(now: number): WorkerEntry[] {
    this.#forgetStale(now);
    return [...this.#entries.values()].map((entry) => ({ ...entry }));
  }

  #forgetStale(now: number): void {
    for (const [id, entry] of this.#entries) {
      const stale = now - entry.lastSeenAt > this.#windowMs && entry.inFlight === 0;
      if (!stale && this.#entries.size <= this.#maxWorkers) return;
      this.#entries.delete(id);
      if (entry === this.#newest) this.#newest = undefined;
    }
  }
}

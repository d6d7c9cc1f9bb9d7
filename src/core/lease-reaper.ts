import { log } from '../log.js';

/** How soon a reap that failed (a networked store unreachable) is tried again. */
const RETRY_MS = 1000;

/**
 * Runs the store's lease expiry. The store keeps no timers (a networked store
 * could not keep them for the hub), so the hub asks it to reap when it said the
 * next lease ends, with one timer for all leases. A lease granted while none is
 * held arms the timer (`expectBy`); leases last one fixed length, so one
 * granted while the timer is armed never ends before it fires.
 */
export class LeaseReaper {
  readonly #reap: (now: number) => Promise<number | undefined>;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires; +∞ while it is not armed. */
  #at = Number.POSITIVE_INFINITY;
  #closed = false;
  /** The last reap failed: the next failures are the same outage, and not logged again. */
  #failing = false;

  /**
   * `everyMs`: reap at least this often, whatever this hub expects. A store
   * shared with other replicas asks for it: leases a dead replica granted are
   * the survivors' to end.
   */
  constructor(
    reap: (now: number) => Promise<number | undefined>,
    everyMs = Number.POSITIVE_INFINITY,
  ) {
    this.#reap = reap;
    this.#everyMs = everyMs;
    this.#sweepSoon();
  }

  /** Arms the timer for the next sweep, when the store asks for sweeps. */
  #sweepSoon(): void {
    if (Number.isFinite(this.#everyMs)) this.expectBy(Date.now() + this.#everyMs);
  }

  /** A lease may end at `at` (epoch ms): a reap will run by then. */
  expectBy(at: number): void {
    if (this.#closed || at >= this.#at) return;
    clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(() => this.#run(), Math.max(0, at - Date.now()));
    // Leases alone must not keep a process alive that has stopped serving.
    this.#timer.unref();
  }

  /** Stops reaping: leases still held never expire after this. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #run(): void {
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
    this.#reap(Date.now()).then(
      (next) => {
        this.#failing = false;
        if (next !== undefined) this.expectBy(next);
        this.#sweepSoon();
      },
      (error: unknown) => {
        // Once per outage: a store away for an hour must not write a line a second.
        if (!this.#failing) {
          log.error({ err: error }, 'reaping expired leases failed; trying again every second');
        }
        this.#failing = true;
        this.expectBy(Date.now() + RETRY_MS);
      },
    );
  }
}

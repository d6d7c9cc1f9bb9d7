import { Cancel, type CancelSignal, linkAbort } from '../domain/cancel.js';
import { noop } from '../util/noop.js';
import { Budget } from './budget.js';
import { cancelledError } from './call-wait.js';

/** A parked wait: its signal aborts when the wait is over; `end()` must run on every path. */
export interface ParkedWait {
  readonly signal: Cancel;
  end(): void;
}

/**
 * Parked requests, in all and per service (`HUB_MAX_PARKED(_PER_SERVICE)`): every
 * parked call, poll and wait for a result holds a slot, and the polls and result
 * waits are kept here so that shutdown can end them.
 */
export class Parking {
  readonly #budget: Budget;
  /** Parked polls and waits for results; aborting one ends its wait. */
  readonly #waits = new Set<Cancel>();

  constructor(options: { maxParked: number; maxParkedPerService: number }) {
    this.#budget = new Budget({
      unit: 'parked requests',
      total: options.maxParked,
      totalSetting: 'HUB_MAX_PARKED',
      perService: options.maxParkedPerService,
      perServiceSetting: 'HUB_MAX_PARKED_PER_SERVICE',
    });
  }

  /** Parked polls and waits for results now. */
  get waits(): number {
    return this.#waits.size;
  }

  /** Takes a slot of `service` (or throws `hub_full` / `service_full`); the function gives it back. */
  reserve(service: string): () => void {
    this.#budget.take(service, 1);
    return () => this.#budget.give(service, 1);
  }

  /**
   * Parks a poll-like wait: its signal aborts after `waitMs`, when `signal` aborts,
   * or at shutdown (`endAll`). It holds a slot of the budget unless `budgeted` is
   * false (a WebSocket's take, bounded by the socket limits instead).
   */
  park(
    service: string,
    waitMs: number,
    signal: CancelSignal | undefined,
    budgeted = true,
  ): ParkedWait {
    // A zero wait (a short poll) ends within this turn: it holds no parked slot.
    const release = waitMs > 0 && budgeted ? this.reserve(service) : noop;
    const wait = new Cancel();
    const unlink = linkAbort(signal, wait, cancelledError);
    const timer = setTimeout(() => wait.abort(), waitMs);
    this.#waits.add(wait);
    return {
      signal: wait,
      end: () => {
        clearTimeout(timer);
        unlink();
        this.#waits.delete(wait);
        release();
      },
    };
  }

  /** Ends every parked wait now: shutdown. */
  endAll(): void {
    for (const wait of this.#waits) wait.abort();
  }
}

import type { CancelSignal } from '../domain/cancel.js';
import type { Answer } from '../domain/job.js';
import { ErrorCode, HubError } from '../errors.js';
import type { JobOutcome } from '../store/job-store.js';
import { noop } from '../util/noop.js';
import type { OutcomeListener } from './outcomes.js';

/** The error of a caller that went away: the client disconnected, or its signal aborted. */
export const cancelledError = () => new HubError(ErrorCode.Cancelled, 'the caller went away');

/**
 * One parked caller's wait. `settled` resolves with the worker's answer, or rejects
 * with the first of: the deadline (`timeout`), the caller leaving (`cancelled`), or
 * `fail()` (shutdown). It runs once per call, so it makes one promise, no
 * AbortController and no Error unless the wait fails: p-timeout builds a
 * TimeoutError up front on every call, which was 6 % of the hub's CPU in the
 * benchmark's profile, and a Promise.race costs more promises per parked call.
 */
export class CallWait implements OutcomeListener {
  readonly settled: Promise<Answer>;
  /** The job's outcome once told, kept even when the wait has already failed. */
  #outcome: JobOutcome | undefined;
  #whenOutcome: ((outcome: JobOutcome) => void) | undefined;
  #resolve!: (answer: Answer) => void;
  #reject!: (reason: HubError) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #signal: CancelSignal | undefined;
  readonly #onAbort = () => this.fail(cancelledError());

  constructor(timeoutMs: number, signal: CancelSignal | undefined) {
    this.settled = new Promise<Answer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Failing before anyone awaits is normal (a shutdown while the job is being queued).
    this.settled.catch(noop);
    this.#timer = setTimeout(
      () => this.fail(new HubError(ErrorCode.Timeout, 'no worker answered before the deadline')),
      timeoutMs,
    );
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The store's word of how the job ended: settles the wait (unless it has failed first). */
  outcomeArrived(outcome: JobOutcome): void {
    this.#outcome = outcome;
    this.#whenOutcome?.(outcome);
    if ('answer' in outcome) this.#resolve(outcome.answer);
    else this.#reject(new HubError(outcome.error.code, outcome.error.message));
  }

  /**
   * The job's outcome, told or still on its way: a wait that failed first (a
   * deadline racing the answer) still learns what the store decided.
   */
  outcome(): Promise<JobOutcome> {
    if (this.#outcome) return Promise.resolve(this.#outcome);
    return new Promise((resolve) => {
      this.#whenOutcome = resolve;
    });
  }

  /** Ends the wait with `reason`; later calls change nothing. */
  fail(reason: HubError): void {
    this.#reject(reason);
  }

  /** Clears the timer and the listener; every path through a call MUST end here. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

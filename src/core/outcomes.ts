import type { Outcome } from '../domain/job.js';
import { HubError } from '../errors.js';
import type { JobOutcome } from '../store/job-store.js';

/** Whoever waits for a job's outcome: a parked call, a caller joining an idempotent run, a wait for a result. */
export interface OutcomeListener {
  outcomeArrived(outcome: JobOutcome): void;
}

/**
 * The one table of who waits for which job's outcome on this hub, by job id.
 * The store's feed tells each outcome once (`tell`); the store holds no waiter
 * and no promise of ours. One object per listener, not a closure: a listener
 * is added for every call.
 */
export class OutcomeListeners {
  readonly #byJob = new Map<string, OutcomeListener | OutcomeListener[]>();

  /** Listens for `jobId`'s outcome until told, or until `unlisten`. */
  listen(jobId: string, listener: OutcomeListener): void {
    const known = this.#byJob.get(jobId);
    if (known === undefined) this.#byJob.set(jobId, listener);
    else if (Array.isArray(known)) known.push(listener);
    else this.#byJob.set(jobId, [known, listener]);
  }

  unlisten(jobId: string, listener: OutcomeListener): void {
    const known = this.#byJob.get(jobId);
    if (known === listener) this.#byJob.delete(jobId);
    else if (Array.isArray(known)) {
      const left = known.filter((one) => one !== listener);
      if (left.length === 0) this.#byJob.delete(jobId);
      else this.#byJob.set(jobId, left);
    }
  }

  /** The store's word that `jobId` ended: every listener hears it, once. */
  tell(jobId: string, outcome: JobOutcome): void {
    const known = this.#byJob.get(jobId);
    if (known === undefined) return;
    this.#byJob.delete(jobId);
    if (Array.isArray(known)) for (const one of known) one.outcomeArrived(outcome);
    else known.outcomeArrived(outcome);
  }

  /** Listened-for jobs now (a test's check that every path cleans up). */
  get size(): number {
    return this.#byJob.size;
  }
}

/** A store's outcome as the hub hands it on: its error as the hub's own error class. */
export function hubOutcome(outcome: JobOutcome): Outcome {
  if ('answer' in outcome) return outcome;
  return { error: new HubError(outcome.error.code, outcome.error.message) };
}

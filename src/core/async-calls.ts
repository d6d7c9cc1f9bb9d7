import { createHash } from 'node:crypto';
import { nanoid } from 'nanoid';
import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, CallPayload, Outcome } from '../domain/job.js';
import { ErrorCode, echoed, HubError } from '../errors.js';
import type { JobOutcome, JobStore, RunRecord } from '../store/job-store.js';
import { noop } from '../util/noop.js';
import { CallWait } from './call-wait.js';
import type { Calls } from './calls.js';
import type { CallInput } from './hub-types.js';
import { hubOutcome, type OutcomeListener, type OutcomeListeners } from './outcomes.js';
import type { Parking } from './parking.js';

/** Where an async call's job is, or how it ended. */
export type JobResult =
  | { readonly state: 'queued' | 'in_flight' }
  | { readonly state: 'done'; readonly outcome: Outcome };

/**
 * Calls the hub waits for on its callers' behalf: `Prefer: respond-async` (the
 * caller asks for the outcome later) and `Idempotency-Key` (callers with the same
 * key share one job). The store keeps their outcomes and keys and ends a run
 * with its job; waits for a run's end listen in the hub's one table of outcome
 * listeners, whichever replica started it.
 */
export class AsyncCalls {
  /** Callers waiting on a keyed job; they count as parked calls, and shutdown fails them. */
  readonly waiters = new Set<CallWait>();
  readonly #calls: Calls;
  readonly #parking: Parking;
  readonly #store: Pick<JobStore, 'jobState' | 'run'>;
  readonly #outcomes: OutcomeListeners;

  constructor(
    calls: Calls,
    parking: Parking,
    store: Pick<JobStore, 'jobState' | 'run'>,
    outcomes: OutcomeListeners,
  ) {
    this.#calls = calls;
    this.#parking = parking;
    this.#store = store;
    this.#outcomes = outcomes;
  }

  /** Queues the job and resolves its id (that of the job already holding the key, if any). */
  async submit(input: CallInput): Promise<string> {
    return (await this.#startRun(input)).id;
  }

  /** Where the job is or how it ended, after waiting up to `waitMs` for it to end. */
  async result(id: string, waitMs: number, signal: CancelSignal | undefined): Promise<JobResult> {
    const run = await this.#store.run(id);
    if (!run) throw new HubError(ErrorCode.UnknownJob, `no job '${id}' is kept`);
    let outcome = run.outcome;
    if (!outcome && waitMs > 0 && !signal?.aborted) {
      outcome = await this.#waitForEnd(run, waitMs, signal);
    }
    return this.#stateOf(id, outcome);
  }

  /**
   * `result` for a job just submitted: never rejects. A wait that cannot park now
   * (`hub_full`, `service_full`) is skipped, and the caller hears where the job is.
   */
  async resultNow(
    id: string,
    waitMs: number,
    signal: CancelSignal | undefined,
  ): Promise<JobResult> {
    const run = await this.#store.run(id);
    if (!run) return { state: 'in_flight' };
    let outcome = run.outcome;
    if (!outcome && waitMs > 0 && !signal?.aborted) {
      try {
        outcome = await this.#waitForEnd(run, waitMs, signal);
      } catch (error) {
        if (!(error instanceof HubError)) throw error;
      }
    }
    return this.#stateOf(id, outcome);
  }

  /** Done with `outcome`; else where the live job is. */
  async #stateOf(id: string, outcome: JobOutcome | undefined): Promise<JobResult> {
    if (outcome) return { state: 'done', outcome: hubOutcome(outcome) };
    return { state: (await this.#store.jobState(id)) ?? 'in_flight' };
  }

  /** The service of a job whose outcome is kept. */
  async serviceOf(id: string): Promise<string | undefined> {
    return (await this.#store.run(id))?.service;
  }

  /** A call with an idempotency key: joins the job holding the key, or starts it. */
  async callIdempotent(input: CallInput, signal: CancelSignal | undefined): Promise<Answer> {
    const timeoutMs = this.#calls.timeoutOf(input.timeoutMs);
    const release = this.#parking.reserve(input.service);
    let run: RunRecord;
    try {
      run = await this.#startRun(input);
    } catch (error) {
      release();
      throw error;
    }
    // This caller's own deadline and departure end its wait, never the job: other
    // callers with the same key may be waiting for it too.
    const wait = new CallWait(timeoutMs, signal);
    this.waiters.add(wait);
    this.#outcomes.listen(run.id, wait);
    try {
      // It may have ended before this caller listened: the store keeps its outcome.
      const kept = run.outcome ?? (await this.#store.run(run.id))?.outcome;
      if (kept) wait.outcomeArrived(kept);
      return await wait.settled;
    } finally {
      this.#outcomes.unlisten(run.id, wait);
      wait.dispose();
      this.waiters.delete(wait);
      release();
    }
  }

  /** Runs a call on the hub's own behalf, or joins the run that holds its idempotency key. */
  async #startRun(input: CallInput): Promise<RunRecord> {
    const id = nanoid();
    const idempotency =
      input.idempotencyKey === undefined
        ? undefined
        : {
            key: `${input.idempotencyScope ?? ''}\n${input.service}\n${input.idempotencyKey}`,
            fingerprint: fingerprintOf(input.payload),
          };
    let queued!: (joined: RunRecord | undefined) => void;
    const whenQueued = new Promise<RunRecord | undefined>((resolve) => {
      queued = resolve;
    });
    // Atomic in the store: of two calls with one key, one queues its job and the other joins.
    const answer = this.#calls.run(input, undefined, id, { idempotency, queued });
    // Its outcome reaches those who wait through the store; a job never queued throws here.
    answer.catch(noop);
    const joined = await Promise.race([whenQueued, answer.then(() => whenQueued)]);
    if (joined) {
      if (joined.fingerprint !== idempotency?.fingerprint) {
        throw new HubError(
          ErrorCode.IdempotencyKeyReused,
          `Idempotency-Key '${echoed(input.idempotencyKey ?? '')}' was used for a different request to '${input.service}'`,
        );
      }
      return joined;
    }
    return {
      id,
      service: input.service,
      fingerprint: idempotency?.fingerprint,
      outcome: undefined,
    };
  }

  /** Waits, as a parked poll does, until the run ends (its outcome) or `waitMs` passes (undefined). */
  async #waitForEnd(
    run: RunRecord,
    waitMs: number,
    signal: CancelSignal | undefined,
  ): Promise<JobOutcome | undefined> {
    const wait = this.#parking.park(run.service, waitMs, signal);
    const listener = new OutcomeWait();
    this.#outcomes.listen(run.id, listener);
    try {
      // It may have ended between the caller's look and this listen.
      const kept = (await this.#store.run(run.id))?.outcome;
      if (kept) return kept;
      return await listener.until(wait.signal);
    } finally {
      this.#outcomes.unlisten(run.id, listener);
      wait.end();
    }
  }
}

/** One wait for a run's outcome that a signal may end first (undefined then). */
class OutcomeWait implements OutcomeListener {
  #outcome: JobOutcome | undefined;
  #tell: ((outcome: JobOutcome | undefined) => void) | undefined;

  outcomeArrived(outcome: JobOutcome): void {
    this.#outcome = outcome;
    this.#tell?.(outcome);
  }

  until(signal: CancelSignal): Promise<JobOutcome | undefined> {
    if (this.#outcome || signal.aborted) return Promise.resolve(this.#outcome);
    return new Promise((resolve) => {
      const onAbort = () => resolve(undefined);
      this.#tell = (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** What makes two calls "the same request" for an idempotency key: method, path, query and body. */
function fingerprintOf(payload: CallPayload): string {
  return createHash('sha256')
    .update(`${payload.method} ${payload.path}?${payload.query}\n`)
    .update(payload.body)
    .digest('base64url');
}

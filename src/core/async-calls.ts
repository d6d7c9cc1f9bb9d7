import { createHash } from 'node:crypto';
import { nanoid } from 'nanoid';
import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, CallPayload, Outcome } from '../domain/job.js';
import { ErrorCode, echoed, HubError } from '../errors.js';
import type { JobStore } from '../store/job-store.js';
import type { ResultStore, RunRecord } from '../store/result-store.js';
import { CallWait } from './call-wait.js';
import type { Calls } from './calls.js';
import type { CallInput } from './hub-types.js';
import type { Parking } from './parking.js';

/** Where an async call's job is, or how it ended. */
export type JobResult =
  | { readonly state: 'queued' | 'in_flight' }
  | { readonly state: 'done'; readonly outcome: Outcome };

/**
 * Calls the hub waits for on its callers' behalf: `Prefer: respond-async` (the
 * caller asks for the outcome later) and `Idempotency-Key` (callers with the same
 * key share one job). Their outcomes and keys are kept in the store's
 * `ResultStore`.
 */
export class AsyncCalls {
  /** Callers waiting on a keyed job; they count as parked calls, and shutdown fails them. */
  readonly waiters = new Set<CallWait>();
  readonly #calls: Calls;
  readonly #parking: Parking;
  readonly #store: Pick<JobStore, 'jobState' | 'results'>;
  readonly #results: ResultStore;

  constructor(calls: Calls, parking: Parking, store: Pick<JobStore, 'jobState' | 'results'>) {
    this.#calls = calls;
    this.#parking = parking;
    this.#store = store;
    this.#results = store.results;
  }

  /** Queues the job and resolves its id (that of the job already holding the key, if any). */
  async submit(input: CallInput): Promise<string> {
    return (await this.#startRun(input)).id;
  }

  /** Where the job is or how it ended, after waiting up to `waitMs` for it to end. */
  async result(id: string, waitMs: number, signal: CancelSignal | undefined): Promise<JobResult> {
    const run = await this.#results.get(id);
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
    const run = await this.#results.get(id);
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
  async #stateOf(id: string, outcome: Outcome | undefined): Promise<JobResult> {
    if (outcome) return { state: 'done', outcome };
    return { state: (await this.#store.jobState(id)) ?? 'in_flight' };
  }

  /** The service of a job whose outcome is kept. */
  async serviceOf(id: string): Promise<string | undefined> {
    return (await this.#results.get(id))?.service;
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
    try {
      wait.answerWith(this.#results.ended(run.id).then(answerOf));
      return await wait.settled;
    } finally {
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
    // Atomic in the store: of two calls with one key, one begins and the other joins.
    const existing = await this.#results.begin({ id, service: input.service, idempotency });
    if (existing) {
      if (existing.fingerprint !== idempotency?.fingerprint) {
        throw new HubError(
          ErrorCode.IdempotencyKeyReused,
          `Idempotency-Key '${echoed(input.idempotencyKey ?? '')}' was used for a different request to '${input.service}'`,
        );
      }
      return existing;
    }
    let enqueued!: () => void;
    const queued = new Promise<void>((resolve) => {
      enqueued = resolve;
    });
    const answer = this.#calls.run(input, undefined, id, enqueued);
    const ended = answer.then(
      (value): Outcome => ({ answer: value }),
      (error: HubError): Outcome => ({ error }),
    );
    try {
      await Promise.race([queued, answer]);
    } catch (error) {
      // Never queued: forgotten, and callers that joined it hear why.
      await this.#results.discard(id, await ended);
      throw error;
    }
    void ended.then((outcome) => this.#results.finish(id, outcome));
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
  ): Promise<Outcome | undefined> {
    const wait = this.#parking.park(run.service, waitMs, signal);
    try {
      return await this.#results.ended(run.id, wait.signal);
    } finally {
      wait.end();
    }
  }
}

/** The answer of an outcome, or its error thrown. */
function answerOf(outcome: Outcome | undefined): Answer {
  if (!outcome) throw new HubError(ErrorCode.UnknownJob, "the job's outcome is no longer kept");
  if ('answer' in outcome) return outcome.answer;
  throw outcome.error;
}

/** What makes two calls "the same request" for an idempotency key: method, path, query and body. */
function fingerprintOf(payload: CallPayload): string {
  return createHash('sha256')
    .update(`${payload.method} ${payload.path}?${payload.query}\n`)
    .update(payload.body)
    .digest('base64url');
}

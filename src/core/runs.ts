import type { HubError } from '../errors.js';
import { LinkedQueue } from '../store/linked-queue.js';
import type { Answer } from './types.js';

/** How a job ended, as its caller would have been told. */
export type Outcome = { readonly answer: Answer } | { readonly error: HubError };

/** A job the hub itself waits for: an async call, or a call with an idempotency key. */
export interface Run {
  readonly id: string;
  readonly service: string;
  /** Idempotent runs: the key as indexed, and a digest of the request it was made with. */
  readonly key: string | undefined;
  readonly fingerprint: string | undefined;
  /** Resolves once, when the job ends; never rejects. */
  readonly ended: Promise<Outcome>;
  outcome: Outcome | undefined;
}

interface Finished {
  readonly run: Run;
  readonly bytes: number;
  readonly expiresAt: number;
}

export interface RunsOptions {
  /** How long a finished run's outcome is kept. */
  readonly ttlMs: number;
  /** Finished runs kept at most; the oldest go first. */
  readonly maxResults: number;
  /** Bytes of answer bodies kept at most; the oldest go first. */
  readonly maxBytes: number;
}

/**
 * Jobs the hub waits for on its callers' behalf, and their outcomes for a while
 * after. Unfinished runs are parked calls, bounded by `HUB_MAX_PARKED`; finished
 * ones are bounded by count, bytes and age. Every finished run lives equally long,
 * so the queue in finishing order is also the queue in expiry order: expired and
 * excess runs leave from its head, with no timer and no scan.
 */
export class Runs {
  readonly #options: RunsOptions;
  readonly #runs = new Map<string, Run>();
  readonly #byKey = new Map<string, Run>();
  readonly #finished = new LinkedQueue<Finished>();
  #bytes = 0;

  constructor(options: RunsOptions) {
    this.#options = options;
  }

  /** Runs and finished outcomes held now. */
  get size(): number {
    return this.#runs.size;
  }

  /** Starts tracking a job whose answer `answer` will bring. */
  track(
    id: string,
    service: string,
    answer: Promise<Answer>,
    idempotency?: { key: string; fingerprint: string },
  ): Run {
    this.#dropExpired();
    const ended = answer.then(
      (value): Outcome => ({ answer: value }),
      (error: HubError): Outcome => ({ error }),
    );
    const run: Run = {
      id,
      service,
      key: idempotency?.key,
      fingerprint: idempotency?.fingerprint,
      ended,
      outcome: undefined,
    };
    this.#runs.set(id, run);
    if (run.key !== undefined) this.#byKey.set(run.key, run);
    void ended.then((outcome) => this.#finish(run, outcome));
    return run;
  }

  get(id: string): Run | undefined {
    this.#dropExpired();
    return this.#runs.get(id);
  }

  /** The live or recently answered run made with this idempotency key. */
  byKey(key: string): Run | undefined {
    this.#dropExpired();
    return this.#byKey.get(key);
  }

  /** Forgets a run whose job was never queued (refused, or invalid). */
  discard(run: Run): void {
    if (this.#runs.get(run.id) === run) this.#runs.delete(run.id);
    if (run.key !== undefined && this.#byKey.get(run.key) === run) this.#byKey.delete(run.key);
  }

  #finish(run: Run, outcome: Outcome): void {
    run.outcome = outcome;
    if (this.#runs.get(run.id) !== run) return;
    // A retry after a hub-side failure (timeout, worker_failed, ...) should run the
    // work again, so only answers stay bound to their key.
    if ('error' in outcome && run.key !== undefined && this.#byKey.get(run.key) === run) {
      this.#byKey.delete(run.key);
    }
    const bytes = 'answer' in outcome ? outcome.answer.body.byteLength : 0;
    this.#bytes += bytes;
    this.#finished.push({ run, bytes, expiresAt: Date.now() + this.#options.ttlMs });
    while (
      this.#finished.size > this.#options.maxResults ||
      (this.#bytes > this.#options.maxBytes && this.#finished.size > 0)
    ) {
      this.#dropOldest();
    }
  }

  #dropExpired(): void {
    const now = Date.now();
    for (
      let head = this.#finished.first;
      head && head.expiresAt <= now;
      head = this.#finished.first
    ) {
      this.#dropOldest();
    }
  }

  #dropOldest(): void {
    const oldest = this.#finished.shift();
    if (!oldest) return;
    const { run } = oldest;
    this.#bytes -= oldest.bytes;
    this.#runs.delete(run.id);
    if (run.key !== undefined && this.#byKey.get(run.key) === run) this.#byKey.delete(run.key);
  }
}

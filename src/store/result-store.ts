import type { CancelSignal } from '../domain/cancel.js';
import type { Outcome } from '../domain/job.js';

/** A job the hub waits for on its callers' behalf: an async call, or a call with an idempotency key. */
export interface RunRecord {
  readonly id: string;
  readonly service: string;
  /** For a run with an idempotency key: a digest of the request it was made with. */
  readonly fingerprint: string | undefined;
  /** How it ended; undefined while its job is queued or in flight. */
  readonly outcome: Outcome | undefined;
}

/** A run to begin: its job id, its service, and for idempotent calls its key and request digest. */
export interface NewRun {
  readonly id: string;
  readonly service: string;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string } | undefined;
}

export interface ResultStoreOptions {
  /** How long a finished run's outcome is kept. */
  readonly ttlMs: number;
  /** Finished runs kept at most; the oldest go first. */
  readonly maxResults: number;
  /** Bytes of answers kept at most; the oldest go first. */
  readonly maxBytes: number;
  /** Finished runs one service may keep; its own oldest go first. */
  readonly maxResultsPerService: number;
  /** Bytes of answers one service may keep; its own oldest go first. */
  readonly maxBytesPerService: number;
}

/**
 * The outcomes of the jobs the hub waits for on its callers' behalf (`Prefer:
 * respond-async`, `Idempotency-Key`), kept for a while after they end, and the
 * idempotency keys that lead to them. A part of the store, so replicas that share
 * a store share these too ([P-ASYNC], [P-IDEMPOTENCY]).
 *
 * Contract: a key leads to one run at a time (`begin` is atomic); only answers
 * keep their key after the run ends (a retry after a hub-side failure runs the
 * work again); finished runs are kept for `ttlMs`, within the count and byte caps
 * in all and per service, a service dropping its own oldest first.
 */
export interface ResultStore {
  /**
   * Begins `run`, unless its idempotency key already leads to a live or answered
   * run: then nothing begins and that run is returned.
   */
  begin(run: NewRun): Promise<RunRecord | undefined>;
  /** Records how a run ended: its outcome is kept from now on, and its waiters are told. */
  finish(id: string, outcome: Outcome): Promise<void>;
  /** Forgets a run whose job was never queued; its waiters are told `outcome`. */
  discard(id: string, outcome: Outcome): Promise<void>;
  /** A run, live or finished; undefined once forgotten (or never known). */
  get(id: string): Promise<RunRecord | undefined>;
  /**
   * Resolves with the run's outcome once it ends, or undefined at once for a run
   * it does not know, or when `signal` aborts first.
   */
  ended(id: string, signal?: CancelSignal): Promise<Outcome | undefined>;
}

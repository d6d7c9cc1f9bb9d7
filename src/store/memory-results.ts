import type { Answer } from '../domain/job.js';
import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';
import type { JobOutcome, NewRun, ResultStoreOptions, RunRecord } from './job-store.js';

interface MemoryRun extends RunRecord {
  /** The idempotency key as indexed, if any. */
  readonly key: string | undefined;
  outcome: JobOutcome | undefined;
}

interface Finished {
  readonly run: MemoryRun;
  readonly bytes: number;
  readonly expiresAt: number;
  /** Its places in the queue of all finished runs and in its service's own. */
  inAll: QueueNode<Finished> | undefined;
  inService: QueueNode<Finished> | undefined;
}

/** One service's finished runs, oldest first, and the bytes they keep. */
interface ServiceShare {
  readonly finished: LinkedQueue<Finished>;
  bytes: number;
}

/**
 * The memory store's runs and their kept outcomes ([P-ASYNC], [P-IDEMPOTENCY]). Unfinished runs are parked calls, bounded by
 * `HUB_MAX_PARKED`; finished ones are bounded by count, bytes and age, in all and
 * per service, so one busy service evicts its own outcomes, never another's.
 * Every finished run lives equally long, so the queue in finishing order is also
 * the queue in expiry order: expired and excess runs leave from its head, with no
 * timer and no scan.
 */
export class MemoryResults {
  readonly #options: ResultStoreOptions;
  readonly #runs = new Map<string, MemoryRun>();
  readonly #byKey = new Map<string, MemoryRun>();
  readonly #finished = new LinkedQueue<Finished>();
  readonly #shares = new Map<string, ServiceShare>();
  #bytes = 0;

  constructor(options: ResultStoreOptions) {
    this.#options = options;
  }

  /** Begins `run`, unless its key leads to a live or answered run: that run is returned. */
  begin({ id, service, idempotency }: NewRun): RunRecord | undefined {
    this.#dropExpired();
    if (idempotency) {
      const existing = this.#byKey.get(idempotency.key);
      if (existing) return recordOf(existing);
    }
    const run: MemoryRun = {
      id,
      service,
      key: idempotency?.key,
      fingerprint: idempotency?.fingerprint,
      outcome: undefined,
    };
    this.#runs.set(id, run);
    if (run.key !== undefined) this.#byKey.set(run.key, run);
    return undefined;
  }

  get(id: string): RunRecord | undefined {
    this.#dropExpired();
    const run = this.#runs.get(id);
    return run && recordOf(run);
  }

  /** Forgets a run whose job was never queued. */
  forget(id: string): void {
    const run = this.#runs.get(id);
    if (!run) return;
    this.#runs.delete(id);
    if (run.key !== undefined && this.#byKey.get(run.key) === run) this.#byKey.delete(run.key);
  }

  finish(id: string, result: JobOutcome): void {
    const run = this.#runs.get(id);
    if (!run || run.outcome) return;
    const outcome = 'answer' in result ? { answer: keepable(result.answer) } : result;
    run.outcome = outcome;
    // A retry after a hub-side failure (timeout, worker_failed, ...) should run the
    // work again, so only answers stay bound to their key.
    if ('error' in outcome && run.key !== undefined && this.#byKey.get(run.key) === run) {
      this.#byKey.delete(run.key);
    }
    const bytes = 'answer' in outcome ? answerBytes(outcome.answer) : 0;
    const entry: Finished = {
      run,
      bytes,
      expiresAt: Date.now() + this.#options.ttlMs,
      inAll: undefined,
      inService: undefined,
    };
    entry.inAll = this.#finished.push(entry);
    this.#bytes += bytes;
    const share = this.#shareOf(run.service);
    entry.inService = share.finished.push(entry);
    share.bytes += bytes;

    const { maxResultsPerService, maxBytesPerService, maxResults, maxBytes } = this.#options;
    while (share.finished.size > maxResultsPerService || share.bytes > maxBytesPerService) {
      const oldest = share.finished.first;
      if (!oldest) break;
      this.#drop(oldest);
    }
    while (this.#finished.size > maxResults || this.#bytes > maxBytes) {
      const oldest = this.#finished.first;
      if (!oldest) break;
      this.#drop(oldest);
    }
  }

  #shareOf(service: string): ServiceShare {
    let share = this.#shares.get(service);
    if (!share) {
      share = { finished: new LinkedQueue(), bytes: 0 };
      this.#shares.set(service, share);
    }
    return share;
  }

  #dropExpired(): void {
    const now = Date.now();
    for (
      let head = this.#finished.first;
      head && head.expiresAt <= now;
      head = this.#finished.first
    ) {
      this.#drop(head);
    }
  }

  /** Forgets a finished run, from the queue in all and from its service's. */
  #drop(finished: Finished): void {
    const { run } = finished;
    if (finished.inAll) this.#finished.remove(finished.inAll);
    const share = this.#shares.get(run.service);
    if (share && finished.inService) {
      share.finished.remove(finished.inService);
      share.bytes -= finished.bytes;
      if (share.finished.size === 0) this.#shares.delete(run.service);
    }
    this.#bytes -= finished.bytes;
    this.#runs.delete(run.id);
    if (run.key !== undefined && this.#byKey.get(run.key) === run) this.#byKey.delete(run.key);
  }
}

/** A run as the contract hands it out: a copy, without the index's key. */
function recordOf({ id, service, fingerprint, outcome }: MemoryRun): RunRecord {
  return { id, service, fingerprint, outcome };
}

/**
 * The answer as a finished run keeps it: a body that is a view into a larger
 * buffer (an answer batch's whole request, a slab of Node's buffer pool) would
 * keep all of that alive for the whole TTL, so it is copied to its own bytes.
 */
function keepable(answer: Answer): Answer {
  const { body } = answer;
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return answer;
  return { ...answer, body: new Uint8Array(body) };
}

/** What a kept answer costs in memory, roughly: its body and its headers. */
function answerBytes(answer: Answer): number {
  let bytes = answer.body.byteLength + (answer.contentType?.length ?? 0);
  for (const [name, value] of Object.entries(answer.headers)) {
    const values = typeof value === 'string' ? [value] : value;
    for (const one of values) bytes += name.length + one.length;
  }
  return bytes;
}

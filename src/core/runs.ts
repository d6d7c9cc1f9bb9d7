import type { Answer } from '../domain/job.js';
import type { HubError } from '../errors.js';
import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';

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
  /** Its places in the queue of all finished runs and in its service's own. */
  inAll: QueueNode<Finished> | undefined;
  inService: QueueNode<Finished> | undefined;
}

/** One service's finished runs, oldest first, and the bytes they keep. */
interface ServiceShare {
  readonly finished: LinkedQueue<Finished>;
  bytes: number;
}

export interface RunsOptions {
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
 * Jobs the hub waits for on its callers' behalf, and their outcomes for a while
 * after. Unfinished runs are parked calls, bounded by `HUB_MAX_PARKED`; finished
 * ones are bounded by count, bytes and age, in all and per service, so one busy
 * service evicts its own outcomes, never another's. Every finished run lives
 * equally long, so the queue in finishing order is also the queue in expiry
 * order: expired and excess runs leave from its head, with no timer and no scan.
 */
export class Runs {
  readonly #options: RunsOptions;
  readonly #runs = new Map<string, Run>();
  readonly #byKey = new Map<string, Run>();
  readonly #finished = new LinkedQueue<Finished>();
  readonly #shares = new Map<string, ServiceShare>();
  #bytes = 0;

  constructor(options: RunsOptions) {
    this.#options = options;
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
      (value): Outcome => ({ answer: keepable(value) }),
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

import { MAX_BATCH_JOBS, type WireBatchResult, type WireJob } from '../protocol.js';
import type { WorkerAnswer } from './answer.js';
import { nextBatch, type ReadyAnswer } from './answer-batch.js';
import { Backoff, type BackoffOptions, pause } from './backoff.js';
import { type HubClientError, isHubClientError } from './errors.js';
import { ReceivedJob } from './received-job.js';

/** What a service loop needs from its worker: the HTTP exchanges, the handler, the signals. */
export interface LoopHost {
  /** Jobs handled at once for this service. */
  readonly concurrency: number;
  /** Aborted by stop(): no new takes; a take waiting with no answers aboard is cut. */
  readonly stopping: AbortSignal;
  /** Aborted when stop()'s grace period ends: answers not yet delivered are given up. */
  readonly graceOver: AbortSignal;
  readonly backoff: BackoffOptions;
  /** A long poll for up to `max` jobs; an empty array when the wait ended empty. */
  take(service: string, max: number): Promise<WireJob[]>;
  /** Sends an answer batch; with `next`, the same exchange takes up to `next.max` jobs. */
  send(
    batch: readonly ReadyAnswer[],
    next: { service: string; max: number } | undefined,
  ): Promise<WireBatchResult>;
  /** Runs the handler; resolves its answer, or undefined when the job is no longer ours. */
  run(job: ReceivedJob): Promise<WorkerAnswer | undefined>;
  /** Told after each exchange whether the hub answered. */
  reachable(ok: boolean, error?: unknown): void;
  /** The hub refused the worker's token (401) or its scope (403): retrying cannot help. */
  refused(error: HubClientError): void;
  warn(message: string): void;
}

/**
 * One service's share of a worker: up to `concurrency` jobs running, one take in
 * flight that asks for as many jobs as there are free slots and carries the
 * answers ready so far ([P-BATCH]). Answers that finish while that take waits go
 * out in an answer-only batch, so a slow job never holds back a fast one's caller.
 * Under load this groups on its own: whatever finished during one exchange
 * travels in the next, and a busy worker makes one exchange for many jobs.
 */
export class ServiceLoop {
  readonly #service: string;
  readonly #host: LoopHost;
  readonly #backoff: Backoff;
  readonly #ready: ReadyAnswer[] = [];
  #running = 0;
  /** A take (alone or carrying answers) is in flight. */
  #taking = false;
  /** An answer-only batch is in flight. */
  #sending = false;
  /** Waiting out a backoff after the hub could not be reached. */
  #pausing = false;
  #scheduled = false;
  #ended!: () => void;
  readonly #done = new Promise<void>((resolve) => {
    this.#ended = resolve;
  });

  constructor(service: string, host: LoopHost) {
    this.#service = service;
    this.#host = host;
    this.#backoff = new Backoff(host.backoff);
  }

  /** Starts taking jobs; resolves once the worker is stopping and every answer has gone. */
  run(): Promise<void> {
    this.#host.stopping.addEventListener('abort', () => this.#schedule(), { once: true });
    this.#schedule();
    return this.#done;
  }

  /**
   * Steps run after the current turn of the event loop, so that every handler that
   * finished in it has added its answer to the next batch.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#step();
    });
  }

  #step(): void {
    if (this.#pausing) return;
    const stopping = this.#host.stopping.aborted;
    const free = this.#host.concurrency - this.#running;
    if (!stopping && !this.#taking && free > 0) {
      void this.#take(Math.min(free, MAX_BATCH_JOBS), nextBatch(this.#ready));
    }
    if (this.#ready.length > 0 && !this.#sending) void this.#sendAnswers(nextBatch(this.#ready));
    if (stopping && !this.#taking && !this.#sending && this.#running === 0) this.#ended();
  }

  async #take(max: number, batch: ReadyAnswer[]): Promise<void> {
    this.#taking = true;
    try {
      const jobs =
        batch.length === 0
          ? await this.#host.take(this.#service, max)
          : this.#report(await this.#host.send(batch, { service: this.#service, max }));
      this.#answered();
      for (const wire of jobs) this.#start(new ReceivedJob(wire));
    } catch (error) {
      await this.#failed(batch, error);
    } finally {
      this.#taking = false;
      this.#schedule();
    }
  }

  async #sendAnswers(batch: ReadyAnswer[]): Promise<void> {
    this.#sending = true;
    try {
      this.#report(await this.#host.send(batch, undefined));
      this.#answered();
    } catch (error) {
      await this.#failed(batch, error);
    } finally {
      this.#sending = false;
      this.#schedule();
    }
  }

  #start(job: ReceivedJob): void {
    this.#running++;
    void this.#host.run(job).then((answer) => {
      this.#running--;
      if (answer) this.#ready.push({ id: job.id, deadline: job.deadline, answer });
      this.#schedule();
    });
  }

  /** Logs the answers the hub refused (caller gone, lease lost, ...); returns the jobs taken. */
  #report(result: WireBatchResult): readonly WireJob[] {
    for (const outcome of result.outcomes) {
      if (outcome.error) {
        this.#host.warn(
          `switchboard worker: answer to job ${outcome.id} refused: ${outcome.error.message}`,
        );
      }
    }
    return result.jobs;
  }

  #answered(): void {
    this.#backoff.reset();
    this.#host.reachable(true);
  }

  /**
   * After a failed exchange: a refusal of the whole batch (4xx) would only repeat,
   * so its answers are dropped; otherwise they wait to be sent again, until their
   * callers' deadlines or the end of the grace period, after a backoff pause.
   */
  async #failed(batch: ReadyAnswer[], error: unknown): Promise<void> {
    const status = isHubClientError(error) ? error.status : undefined;
    if (status === 401 || status === 403) {
      this.#host.refused(error as HubClientError);
      return;
    }
    if (status !== undefined && status < 500 && batch.length > 0) {
      this.#host.warn(`switchboard worker: answer batch refused: ${(error as Error).message}`);
      return;
    }
    const now = Date.now();
    const retry = this.#host.graceOver.aborted ? [] : batch.filter((a) => a.deadline > now);
    this.#ready.unshift(...retry);
    if (this.#host.stopping.aborted && retry.length === 0) return;
    this.#host.reachable(false, error);
    this.#pausing = true;
    // Answers wait for the hub until the grace period ends; a bare take, only until stop().
    await pause(
      this.#backoff.next(),
      this.#ready.length > 0 ? this.#host.graceOver : this.#host.stopping,
    );
    this.#pausing = false;
  }
}

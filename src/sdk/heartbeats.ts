/** One job a handler is running, as the heartbeat sweep sees it. */
export interface RunningJob {
  readonly id: string;
  readonly leaseMs: number | undefined;
  /** Aborted when the hub says the job is no longer this worker's. */
  /** Told when the hub says the job is no longer this worker's. */
  readonly signal: { abort(): void };
  lastBeatAt: number;
  /** True once the hub has said the job went to another worker or its caller left. */
  lost: boolean;
}

/**
 * Heartbeats the jobs a worker's handlers are running, so a long handler keeps
 * its job, and aborts a handler whose job the hub says is gone. One sweep serves
 * every job: starting and ending a job costs a map entry, not a timer, and a job
 * that ends within a third of its lease never sends a heartbeat.
 */
export class Heartbeats {
  readonly #beat: (id: string) => Promise<boolean>;
  readonly #running = new Set<RunningJob>();
  #timer: NodeJS.Timeout | undefined;
  #everyMs = Number.POSITIVE_INFINITY;

  /** `beat` extends a job's lease and resolves false when the hub says the job is gone. */
  constructor(beat: (id: string) => Promise<boolean>) {
    this.#beat = beat;
  }

  start(id: string, leaseMs: number | undefined, signal: { abort(): void }): RunningJob {
    const job: RunningJob = { id, leaseMs, signal, lastBeatAt: Date.now(), lost: false };
    this.#running.add(job);
    // Jobs from one hub share a lease length; sweep at a third of the shortest seen.
    if (leaseMs !== undefined && leaseMs > 0 && leaseMs / 3 < this.#everyMs) {
      this.#everyMs = leaseMs / 3;
      clearInterval(this.#timer);
      this.#timer = setInterval(() => this.#sweep(), this.#everyMs);
      this.#timer.unref();
    }
    return job;
  }

  end(job: RunningJob): void {
    this.#running.delete(job);
  }

  /** Stops the sweep; call when the worker has stopped. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const job of this.#running) {
      if (job.leaseMs === undefined || now - job.lastBeatAt < job.leaseMs / 3 - 5) continue;
      job.lastBeatAt = now;
      void this.#beat(job.id).then((kept) => {
        if (kept || !this.#running.has(job)) return;
        job.lost = true;
        job.signal.abort();
      });
    }
  }
}

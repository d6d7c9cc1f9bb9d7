/** One job a handler is running, as the heartbeat sweep sees it. */
export interface RunningJob {
  readonly id: string;
  readonly leaseMs: number;
  /** Told when the hub says the job is no longer this worker's. */
  readonly signal: { abort(): void };
  lastBeatAt: number;
  /** True once the hub has said the job went to another worker or its caller left. */
  lost: boolean;
}

/** Heartbeats per lease: two may be lost or late before the lease ends. */
const BEATS_PER_LEASE = 3;

/**
 * How much sooner than a full beat interval a job is beaten anyway: the sweep's
 * timer and the job's start are not in step, and a job just short of its interval
 * would otherwise wait a whole extra sweep.
 */
const SWEEP_SLACK_MS = 5;

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

  start(id: string, leaseMs: number, signal: { abort(): void }): RunningJob {
    const job: RunningJob = { id, leaseMs, signal, lastBeatAt: Date.now(), lost: false };
    this.#running.add(job);
    // Jobs from one hub share a lease length; sweep as often as the shortest needs.
    if (leaseMs > 0 && leaseMs / BEATS_PER_LEASE < this.#everyMs) {
      this.#everyMs = leaseMs / BEATS_PER_LEASE;
      clearInterval(this.#timer);
      this.#timer = setInterval(() => this.#sweep(), this.#everyMs);
      this.#timer.unref();
    }
    return job;
  }

  end(job: RunningJob): void {
    this.#running.delete(job);
  }

  /** Every running job is no longer this worker's (its socket closed): abort their handlers. */
  loseAll(): void {
    for (const job of this.#running) {
      job.lost = true;
      job.signal.abort();
    }
  }

  /** Stops the sweep; call when the worker has stopped. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const job of this.#running) {
      if (now - job.lastBeatAt < job.leaseMs / BEATS_PER_LEASE - SWEEP_SLACK_MS) continue;
      job.lastBeatAt = now;
      void this.#beat(job.id).then((kept) => {
        if (kept || !this.#running.has(job)) return;
        job.lost = true;
        job.signal.abort();
      });
    }
  }
}

/**
 * Heartbeats one job every third of its lease while its handler runs, so a long
 * handler keeps its job; a job that ends sooner never sends one. When a heartbeat
 * learns the job is no longer this worker's (its caller left, or it was handed to
 * another worker), the handler's signal aborts.
 */
export class Heartbeats {
  readonly #beat: () => Promise<boolean>;
  readonly #controller: AbortController;
  #timer: NodeJS.Timeout | undefined;
  #lost = false;

  /** `beat` extends the lease and resolves false when the hub says the job is gone. */
  constructor(
    leaseMs: number | undefined,
    beat: () => Promise<boolean>,
    controller: AbortController,
  ) {
    this.#beat = beat;
    this.#controller = controller;
    if (leaseMs !== undefined && leaseMs > 0) this.#schedule(leaseMs / 3);
  }

  /** True once the hub has said the job went to another worker or its caller left. */
  get jobLost(): boolean {
    return this.#lost;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(everyMs: number): void {
    this.#timer = setTimeout(async () => {
      const kept = await this.#beat();
      if (this.#timer === undefined) return;
      if (kept) {
        this.#schedule(everyMs);
        return;
      }
      this.#lost = true;
      this.#controller.abort();
    }, everyMs);
  }
}

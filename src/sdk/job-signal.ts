/**
 * A job's AbortSignal, made only when the handler reads it. Most handlers never
 * do, and an AbortController, a deadline timer and a grace-period listener per
 * job were about 4 µs of a worker's ~40 µs per job outside the handler. A signal
 * read late is armed then, already aborted if its reason has come.
 */
export class JobSignal {
  /** Epoch ms, in this machine's clock, when the caller stops waiting. */
  readonly #deadline: number;
  readonly #graceOver: AbortSignal;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #aborted = false;
  readonly #onGraceOver = () => this.abort();

  constructor(remainingMs: number, graceOver: AbortSignal) {
    this.#deadline = Date.now() + Math.max(0, remainingMs);
    this.#graceOver = graceOver;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    const remainingMs = this.#deadline - Date.now();
    if (this.#aborted || this.#graceOver.aborted || remainingMs <= 0) {
      controller.abort();
    } else {
      this.#timer = setTimeout(() => this.abort(), remainingMs);
      this.#graceOver.addEventListener('abort', this.#onGraceOver, { once: true });
    }
    return controller.signal;
  }

  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }

  /** Call when the handler has finished: the timer and the listener go. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#controller) this.#graceOver.removeEventListener('abort', this.#onGraceOver);
  }
}

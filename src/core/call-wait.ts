import { ErrorCode, HubError } from '../errors.js';

function noop(): void {}

/** The error of a caller that went away: the client disconnected, or its signal aborted. */
export const cancelledError = () => new HubError(ErrorCode.Cancelled, 'the caller went away');

/**
 * One parked caller's wait for its answer. `failed` rejects with the first of: the
 * deadline (`timeout`), the caller leaving (`cancelled`), or `fail()` (shutdown).
 * It runs once per call, so it makes no AbortController and no Error unless the
 * wait actually fails: p-timeout builds a TimeoutError up front on every call, and
 * that alone was 6 % of the hub's CPU in the benchmark's profile.
 */
export class CallWait {
  readonly failed: Promise<never>;
  #reject!: (reason: HubError) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.fail(cancelledError());

  constructor(timeoutMs: number, signal: AbortSignal | undefined) {
    this.failed = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    // Failing before anyone races against it is normal (a shutdown during enqueue).
    this.failed.catch(noop);
    this.#timer = setTimeout(
      () => this.fail(new HubError(ErrorCode.Timeout, 'no worker answered before the deadline')),
      timeoutMs,
    );
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Ends the wait with `reason`; later calls change nothing. */
  fail(reason: HubError): void {
    this.#reject(reason);
  }

  /** Clears the timer and the listener; every path through a call MUST end here. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

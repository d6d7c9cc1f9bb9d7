import { noop } from '../util/noop.js';

/**
 * What the core needs of a signal that a caller or worker has gone: the part of
 * `AbortSignal` it uses. An AbortSignal is one; so is the cheaper `Cancel`.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A one-shot cancellation with the shape of an AbortSignal and little of its cost.
 * The hot path makes several per call (each parked poll, each HTTP request), and
 * AbortController's EventTarget made those a tenth of the hub's CPU. Listeners run
 * once, in the order added; adding one after the abort does not call it, as with
 * an AbortSignal.
 */
export class Cancel implements CancelSignal {
  #aborted = false;
  /** Nearly always none or one, so no array until a second arrives. */
  #listeners: (() => void) | (() => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Every listener runs at most once, so `{ once: true }` changes nothing. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.#aborted) return;
    const current = this.#listeners;
    if (current === undefined) this.#listeners = listener;
    else if (Array.isArray(current)) current.push(listener);
    else this.#listeners = [current, listener];
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const current = this.#listeners;
    if (current === listener) {
      this.#listeners = undefined;
    } else if (Array.isArray(current)) {
      const index = current.indexOf(listener);
      if (index >= 0) current.splice(index, 1);
    }
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (typeof listeners === 'function') listeners();
    else if (listeners) for (const listener of listeners) listener();
  }
}

/**
 * Aborts `child` when `parent` aborts, and returns the function that undoes the
 * link. Callers MUST unlink in `finally`: a long-lived parent (a keep-alive
 * connection's signal, a worker's stop signal) would otherwise collect one listener
 * per request.
 */
export function linkAbort(
  parent: CancelSignal | undefined,
  child: { abort(reason?: unknown): void },
  reason: () => unknown,
): () => void {
  if (!parent) return noop;
  if (parent.aborted) {
    child.abort(reason());
    return noop;
  }
  const onAbort = () => child.abort(reason());
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

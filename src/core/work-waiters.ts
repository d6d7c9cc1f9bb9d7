import type { CancelSignal } from '../domain/cancel.js';
import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';

/** One parked take, waiting to be told that work may be there. */
interface Waiter {
  /** Told and not yet looked: the next look must happen. */
  awake: boolean;
  wake: (() => void) | undefined;
}

/**
 * The parked takes of this hub, per service, oldest first. The store keeps the
 * queues and says when work may be waiting (`notify`, from its feed); a parked
 * take lives here, not in the store, so a networked store holds no connection
 * per parked poll. Each `notify` wakes the oldest take not yet awake, which
 * then takes from the store; one that leaves while awake passes its wake-up
 * on, so no job is left queued with a take parked (the lost wake-up).
 */
export class WorkWaiters {
  readonly #byService = new Map<string, LinkedQueue<Waiter>>();

  /** Parked takes of `service` now. */
  count(service: string): number {
    return this.#byService.get(service)?.size ?? 0;
  }

  /**
   * Parks a take of `service` at the back. It looks before it is woken when no
   * older take waits (FIFO among takes), or with `look`: a take that looked
   * before it parked may have missed a wake-up given while it was not parked.
   */
  park(service: string, look = false): ParkedTake {
    let queue = this.#byService.get(service);
    if (!queue) {
      queue = new LinkedQueue();
      this.#byService.set(service, queue);
    }
    const waiter: Waiter = { awake: look || queue.size === 0, wake: undefined };
    const node = queue.push(waiter);
    return new ParkedTake(this, service, node, waiter);
  }

  /** Work may be waiting for `service`: the oldest take not yet awake looks. */
  notify(service: string): void {
    const queue = this.#byService.get(service);
    if (!queue) return;
    for (let node = queue.firstNode; node; node = node.next) {
      const waiter = node.value;
      if (waiter.awake) continue;
      waiter.awake = true;
      waiter.wake?.();
      return;
    }
  }

  /** Takes a parked take out; an awake one hands its wake-up to the next. */
  leave(service: string, node: QueueNode<Waiter>, waiter: Waiter): void {
    const queue = this.#byService.get(service);
    if (!queue) return;
    queue.remove(node);
    if (queue.size === 0) this.#byService.delete(service);
    else if (waiter.awake) this.notify(service);
  }
}

/** A take parked in `WorkWaiters`: look, then wait to be woken, until `leave()`. */
export class ParkedTake {
  readonly #waiters: WorkWaiters;
  readonly #service: string;
  readonly #node: QueueNode<Waiter>;
  readonly #waiter: Waiter;

  constructor(waiters: WorkWaiters, service: string, node: QueueNode<Waiter>, waiter: Waiter) {
    this.#waiters = waiters;
    this.#service = service;
    this.#node = node;
    this.#waiter = waiter;
  }

  /**
   * True when the take should look in the store now (woken, or first in line
   * when parked); false once `signal` aborts first. Marks the look as taken.
   */
  async woken(signal: CancelSignal): Promise<boolean> {
    const waiter = this.#waiter;
    if (!waiter.awake && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        waiter.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      waiter.wake = undefined;
    }
    if (!waiter.awake) return false;
    waiter.awake = false;
    return true;
  }

  /** Done waiting, with or without a job. */
  leave(): void {
    this.#waiters.leave(this.#service, this.#node, this.#waiter);
  }
}

import type { CancelSignal } from '../domain/cancel.js';
import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';

/** One parked take, waiting to be told that work may be there. */
interface Waiter {
  /** Told and not yet looked: the next look must happen. */
  awake: boolean;
  wake: (() => void) | undefined;
  /** The service's count of lost notices when this take last began a look. */
  lookedAt: number;
}

/** A service's parked takes, and the notices that found every one of them already told. */
interface ServiceWaiters {
  readonly queue: LinkedQueue<Waiter>;
  /** Notices not yet given to a take: each is one more look owed. */
  owed: number;
  /** Every notice ever lost so far (it only grows): a look that began after the last one and found nothing settles them all. */
  lostTotal: number;
}

/**
 * The parked takes of this hub, per service, oldest first. The store keeps the
 * queues and says when work may be waiting (`notify`, from its feed); a parked
 * take lives here, not in the store, so a networked store holds no connection
 * per parked poll. Each `notify` wakes the oldest take not yet awake, which
 * then takes from the store; one that leaves while awake passes its wake-up
 * on, so no job is left queued with a take parked (the lost wake-up).
 *
 * With a networked store a look is a round trip, and notices (from other
 * replicas too) can come while every take is already told: such a notice is
 * owed to the next take that would sleep or park, until a look that began
 * after it comes back empty and so shows the queue empty.
 */
export class WorkWaiters {
  readonly #byService = new Map<string, ServiceWaiters>();
  /** Notices heard so far, of any service: unchanged means nothing was queued meanwhile. */
  #heard = 0;

  /** How many notices, of any service, have been heard so far. */
  get noticesHeard(): number {
    return this.#heard;
  }

  /** Parked takes of `service` now. */
  count(service: string): number {
    return this.#byService.get(service)?.queue.size ?? 0;
  }

  /**
   * Parks a take of `service` at the back, before its first look. It looks
   * before it is woken when no older take waits (FIFO among takes) or when a
   * notice is owed; `emptyAt`: a look that found the queue empty began when
   * `noticesHeard` was this, so with no notice since it waits without looking.
   */
  park(service: string, emptyAt?: number): ParkedTake {
    let waiters = this.#byService.get(service);
    if (!waiters) {
      waiters = { queue: new LinkedQueue(), owed: 0, lostTotal: 0 };
      this.#byService.set(service, waiters);
    }
    const awake = (waiters.queue.size === 0 && emptyAt !== this.#heard) || this.#payOwed(waiters);
    const waiter: Waiter = { awake, wake: undefined, lookedAt: waiters.lostTotal };
    const node = waiters.queue.push(waiter);
    return new ParkedTake(this, waiters, node, waiter, service);
  }

  /** Work may be waiting for `service`: the oldest take not yet awake looks. */
  notify(service: string): void {
    this.#heard++;
    const waiters = this.#byService.get(service);
    if (!waiters) return;
    for (let node = waiters.queue.firstNode; node; node = node.next) {
      const waiter = node.value;
      if (waiter.awake) continue;
      waiter.awake = true;
      waiter.wake?.();
      return;
    }
    // With no take parked the next one looks first: nobody is owed anything.
    if (waiters.queue.size === 0) return;
    waiters.owed++;
    waiters.lostTotal++;
  }

  /** Every parked take of every service looks now: the store has something to tell them all. */
  wakeAll(): void {
    for (const waiters of this.#byService.values()) {
      for (let node = waiters.queue.firstNode; node; node = node.next) {
        const waiter = node.value;
        if (waiter.awake) continue;
        waiter.awake = true;
        waiter.wake?.();
      }
    }
  }

  /** Takes one owed notice, if any: true when there was one. */
  #payOwed(waiters: ServiceWaiters): boolean {
    if (waiters.owed === 0) return false;
    waiters.owed--;
    return true;
  }

  /**
   * A take is about to sleep after a look that found nothing: it looks again
   * if a notice is owed. An empty look that began after the last lost notice
   * settles every owed one: the queue was empty after them all.
   */
  owesLook(waiters: ServiceWaiters, waiter: Waiter): boolean {
    if (waiter.lookedAt === waiters.lostTotal) waiters.owed = 0;
    return this.#payOwed(waiters);
  }

  /** Takes a parked take out; an awake one hands its wake-up to the next. */
  leave(service: string, waiters: ServiceWaiters, node: QueueNode<Waiter>, waiter: Waiter): void {
    waiters.queue.remove(node);
    if (waiter.awake && waiters.queue.size > 0) this.notify(service);
    // Owed notices outlive the takes: the next take looks first, but the one
    // after it, parking while that first look is on its way, must look too.
    if (waiters.queue.size === 0 && waiters.owed === 0) this.#byService.delete(service);
  }
}

/** A take parked in `WorkWaiters`: look, then wait to be woken, until `leave()`. */
export class ParkedTake {
  readonly #waiters: WorkWaiters;
  readonly #service: ServiceWaiters;
  readonly #node: QueueNode<Waiter>;
  readonly #waiter: Waiter;
  readonly #name: string;
  #looked = false;

  constructor(
    waiters: WorkWaiters,
    service: ServiceWaiters,
    node: QueueNode<Waiter>,
    waiter: Waiter,
    name: string,
  ) {
    this.#waiters = waiters;
    this.#service = service;
    this.#node = node;
    this.#waiter = waiter;
    this.#name = name;
  }

  /**
   * True when the take should look in the store now (woken, first in line when
   * parked, or owed a notice after an empty look); false once `signal` aborts
   * first. Marks the look as taken. Called again only after a look that found
   * nothing.
   */
  async woken(signal: CancelSignal): Promise<boolean> {
    const waiter = this.#waiter;
    if (this.#looked && !waiter.awake && this.#waiters.owesLook(this.#service, waiter)) {
      waiter.awake = true;
    }
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
    this.#looked = true;
    waiter.lookedAt = this.#service.lostTotal;
    return true;
  }

  /** Done waiting, with or without a job. */
  leave(): void {
    this.#waiters.leave(this.#name, this.#service, this.#node, this.#waiter);
  }
}

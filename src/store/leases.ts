import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';

interface Lease<T> {
  readonly value: T;
  expiresAt: number;
}

/** A lease held in a `Leases` table; keep it to renew or end the lease. */
export type LeaseNode<T> = QueueNode<Lease<T>>;

/**
 * Leases of one fixed length. Every lease (and every renewal) lasts `leaseMs`
 * from now, so the list in order of grant is also the list in order of expiry:
 * granting and renewing append at the tail, ending unlinks, and finding the
 * expired ones looks only at the head. No timer per job and no scan, whatever
 * the number in flight; and no timer at all: the store's owner asks for the
 * expired leases (`expired(now)`) when `nextEnd` says one ends.
 */
export class Leases<T> {
  readonly leaseMs: number;
  readonly #held = new LinkedQueue<Lease<T>>();
  readonly #now: () => number;

  constructor(leaseMs: number, now: () => number = Date.now) {
    this.leaseMs = leaseMs;
    this.#now = now;
  }

  get size(): number {
    return this.#held.size;
  }

  /** When the first lease held ends (epoch ms); undefined when none is held. */
  get nextEnd(): number | undefined {
    return this.#held.first?.expiresAt;
  }

  grant(value: T): LeaseNode<T> {
    return this.#held.push({ value, expiresAt: this.#now() + this.leaseMs });
  }

  /** Restarts the lease from now; returns its new end in epoch milliseconds. */
  renew(node: LeaseNode<T>): number {
    node.value.expiresAt = this.#now() + this.leaseMs;
    this.#held.moveToBack(node);
    return node.value.expiresAt;
  }

  end(node: LeaseNode<T>): void {
    this.#held.remove(node);
  }

  /** Ends the leases that ran out by `now` and returns what they held, oldest first. */
  expired(now: number): T[] {
    const ended: T[] = [];
    for (let head = this.#held.first; head && head.expiresAt <= now; head = this.#held.first) {
      this.#held.shift();
      ended.push(head.value);
    }
    return ended;
  }
}

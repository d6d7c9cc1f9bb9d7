import { LinkedQueue, type QueueNode } from '../util/linked-queue.js';

interface Lease<T> {
  readonly value: T;
  expiresAt: number;
}

/** A lease held in a `Leases` table; keep it to renew or end the lease. */
export type LeaseNode<T> = QueueNode<Lease<T>>;

/**
 * Leases of one fixed length, with one timer for all of them. Every lease (and
 * every renewal) lasts `leaseMs` from now, so the list in order of grant is also
 * the list in order of expiry: granting and renewing append at the tail, ending
 * unlinks, and the single timer only ever looks at the head. No timer per job and
 * no scan, whatever the number in flight.
 */
export class Leases<T> {
  readonly leaseMs: number;
  readonly #held = new LinkedQueue<Lease<T>>();
  readonly #onExpire: (value: T) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;

  constructor(leaseMs: number, onExpire: (value: T) => void, now: () => number = Date.now) {
    this.leaseMs = leaseMs;
    this.#onExpire = onExpire;
    this.#now = now;
  }

  get size(): number {
    return this.#held.size;
  }

  grant(value: T): LeaseNode<T> {
    const node = this.#held.push({ value, expiresAt: this.#now() + this.leaseMs });
    this.#arm();
    return node;
  }

  /** Restarts the lease from now; returns its new end in epoch milliseconds. */
  renew(node: LeaseNode<T>): number {
    node.value.expiresAt = this.#now() + this.leaseMs;
    this.#held.moveToBack(node);
    this.#arm();
    return node.value.expiresAt;
  }

  end(node: LeaseNode<T>): void {
    // The timer stays armed when the last lease ends: a busy hub's in-flight count
    // touches zero often, and re-arming each time cost a timer per call.
    this.#held.remove(node);
  }

  /** Stops the timer; leases still held never expire after this. */
  close(): void {
    this.#disarm();
  }

  /** Makes sure a timer will fire by the head's expiry. */
  #arm(): void {
    const head = this.#held.first;
    if (!head) return;
    if (this.#timer !== undefined && this.#timerAt <= head.expiresAt) return;
    this.#disarm();
    this.#timerAt = head.expiresAt;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, head.expiresAt - this.#now()));
    // Leases alone must not keep a process alive that has stopped serving.
    this.#timer.unref();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#now();
    for (let head = this.#held.first; head && head.expiresAt <= now; head = this.#held.first) {
      this.#held.shift();
      this.#onExpire(head.value);
    }
    this.#arm();
  }
}

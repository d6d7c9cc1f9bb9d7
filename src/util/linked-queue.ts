/** A place in a LinkedQueue, kept by whoever needs to remove that entry later. */
export interface QueueNode<T> {
  readonly value: T;
  prev: QueueNode<T> | undefined;
  next: QueueNode<T> | undefined;
  /** False once the node has left its queue, so removing it twice is harmless. */
  linked: boolean;
}

/**
 * A FIFO queue with O(1) push at both ends, shift and removal of any entry by its
 * node. Queued jobs are withdrawn when their caller leaves and parked claims when
 * their worker disconnects, so removal from the middle must not scan, and a big
 * array's `shift()` would copy.
 */
export class LinkedQueue<T> {
  #head: QueueNode<T> | undefined;
  #tail: QueueNode<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The value at the head, without removing it. */
  get first(): T | undefined {
    return this.#head?.value;
  }

  /** The head's node, to walk the queue by `next` without an iterator's cost. */
  get firstNode(): QueueNode<T> | undefined {
    return this.#head;
  }

  push(value: T): QueueNode<T> {
    const node: QueueNode<T> = { value, prev: undefined, next: undefined, linked: false };
    this.#linkAtTail(node);
    return node;
  }

  unshift(value: T): QueueNode<T> {
    const node: QueueNode<T> = { value, prev: undefined, next: this.#head, linked: true };
    if (this.#head) this.#head.prev = node;
    else this.#tail = node;
    this.#head = node;
    this.#size++;
    return node;
  }

  shift(): T | undefined {
    const node = this.#head;
    if (!node) return undefined;
    this.remove(node);
    return node.value;
  }

  remove(node: QueueNode<T>): void {
    if (!node.linked) return;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = undefined;
    node.next = undefined;
    node.linked = false;
    this.#size--;
  }

  /** Moves a node that is in this queue to the tail, keeping the node itself. */
  moveToBack(node: QueueNode<T>): void {
    if (!node.linked || node === this.#tail) return;
    this.remove(node);
    this.#linkAtTail(node);
  }

  #linkAtTail(node: QueueNode<T>): void {
    node.prev = this.#tail;
    node.linked = true;
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#size++;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.#head; node; node = node.next) yield node.value;
  }
}

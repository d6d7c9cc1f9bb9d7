import type { TopicMessage } from '../domain/topic.js';
import { log } from '../log.js';
import { nextMessageId, type TopicStore } from '../store/topic-store.js';

/** Why a subscription ended: the hub lets its subscriber go with this. */
export type SubscriptionEnd =
  /** It left more than its buffer unread: it may resume after its last id. */
  | 'slow'
  /** Its topic was deleted. */
  | 'deleted'
  /** The hub is shutting down. */
  | 'shutdown'
  /** The store could not be read: it may resume after its last id. */
  | 'store_unavailable'
  /** The subscriber asked to end it, and every message published before it asked has been sent. */
  | 'unsubscribed'
  /** The subscriber itself left. */
  | 'gone';

/** Where a subscription's messages go: a WebSocket, an SSE stream, a webhook. */
export interface TopicSink {
  /** Sends one message. */
  send(message: TopicMessage): void;
  /** How many bytes it has not yet written out. */
  unsent(): number;
  /** The subscription is over; `lastId` is the last id sent (-1: none), to resume after. */
  end(reason: SubscriptionEnd, lastId: number): void;
}

/** Messages read from the store per look while catching up. */
const READ_COUNT = 256;

/** While catching up, how often a full sink is looked at, and how long it may stay full. */
const DRAIN_CHECK_MS = 10;
const DRAIN_WAIT_MS = 30_000;

/**
 * One subscriber of one topic: every message from its start, in id order, each
 * once. It first reads from the store what it has not seen (catching up), then
 * takes messages as the feed hears them (live). Catching up waits for the
 * subscriber to read; live, one that leaves more than its buffer unread is cut
 * (`slow`) and resumes after its last id. A message heard while it
 * catches up is read from the store instead, and a gap in what it hears (a
 * replica that missed a notice) sends it back to catching up: it never skips
 * an id the topic still keeps, and never sends one twice.
 */
export class TopicSubscription {
  readonly topic: string;
  readonly #store: TopicStore;
  readonly #sink: TopicSink;
  readonly #maxUnsentBytes: number;
  readonly #now: () => number;
  readonly #ended: (subscription: TopicSubscription) => void;
  /** The next id to send. */
  #next = 0;
  #live = false;
  #reading = false;
  /** Something was heard while a read was on its way: read again before going live. */
  #heardWhileReading = false;
  #over = false;
  /** Once set, the subscription ends as soon as this id has been sent. */
  #lastToSend: number | undefined;

  constructor(
    topic: string,
    store: TopicStore,
    sink: TopicSink,
    options: { maxUnsentBytes: number; now: () => number },
    ended: (subscription: TopicSubscription) => void,
  ) {
    this.topic = topic;
    this.#store = store;
    this.#sink = sink;
    this.#maxUnsentBytes = options.maxUnsentBytes;
    this.#now = options.now;
    this.#ended = ended;
  }

  /** Starts after `after` (-1: the oldest kept), or with what is published from now on. */
  async start(after: number | 'new'): Promise<void> {
    if (after === 'new') {
      try {
        this.#next = await nextMessageId(this.#store, this.topic, this.#now());
      } catch (error) {
        this.#fail(error);
        return;
      }
    } else {
      this.#next = after + 1;
    }
    await this.#catchUp();
  }

  /** The last id sent; -1 before any. */
  get lastId(): number {
    return this.#next - 1;
  }

  /** A message the feed heard for this topic. */
  heard(message: TopicMessage): void {
    if (this.#over) return;
    if (!this.#live) {
      this.#heardWhileReading = true;
      return;
    }
    if (message.id < this.#next) return;
    if (message.id > this.#next) {
      this.#live = false;
      void this.#catchUp();
      return;
    }
    this.#send(message);
  }

  /**
   * Ends it once every message up to `lastId` has been sent ([P-WS-SUBSCRIBE]:
   * an unsubscribe never discards what was published before it).
   */
  endAfter(lastId: number): void {
    this.#lastToSend = lastId;
    if (this.#next > lastId) this.end('unsubscribed');
    // Otherwise the sends still to come end it: catching up reads on to it, and live ones reach it.
    else if (!this.#live) void this.#catchUp();
  }

  /** Ends it (the hub's reason, or the subscriber left); the sink hears it once. */
  end(reason: SubscriptionEnd): void {
    if (this.#over) return;
    this.#over = true;
    this.#ended(this);
    this.#sink.end(reason, this.lastId);
  }

  async #catchUp(): Promise<void> {
    if (this.#reading) {
      this.#heardWhileReading = true;
      return;
    }
    this.#reading = true;
    try {
      for (;;) {
        this.#heardWhileReading = false;
        const read = await this.#store.read(this.topic, this.#next - 1, READ_COUNT, this.#now());
        if (this.#over) return;
        // What retention removed before this subscriber got to it: ids show the gap.
        if (this.#next < read.first) this.#next = read.first;
        // Catching up goes at the subscriber's pace: it waits for the sink to
        // drain rather than cutting it for a backlog it asked for.
        for (const message of read.messages) {
          this.#sink.send(message);
          this.#next = message.id + 1;
          if (this.#reachedEnd()) return;
          if (!(await this.#drained())) return this.end('slow');
          if (this.#over) return;
        }
        if (read.messages.length < READ_COUNT && !this.#heardWhileReading) {
          this.#live = true;
          return;
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#reading = false;
    }
  }

  /** False when the sink stayed over its buffer for `DRAIN_WAIT_MS`. */
  async #drained(): Promise<boolean> {
    for (let waited = 0; this.#sink.unsent() > this.#maxUnsentBytes; waited += DRAIN_CHECK_MS) {
      if (this.#over || waited >= DRAIN_WAIT_MS) return this.#over;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
    }
    return true;
  }

  /**
   * A live message: a subscriber that still has more than its buffer unread
   * when the next message comes cannot keep up with the topic, and is cut,
   * never waited for. (Measured before the send: a message larger than the
   * buffer still goes to a subscriber that has read everything.)
   */
  #send(message: TopicMessage): void {
    if (this.#sink.unsent() > this.#maxUnsentBytes) {
      this.end('slow');
      return;
    }
    this.#sink.send(message);
    this.#next = message.id + 1;
    this.#reachedEnd();
  }

  /** Ends it if an unsubscribe's last message has been sent. */
  #reachedEnd(): boolean {
    if (this.#lastToSend === undefined || this.#next <= this.#lastToSend) return false;
    this.end('unsubscribed');
    return true;
  }

  #fail(error: unknown): void {
    log.warn({ err: error, topic: this.topic }, 'switchboard: a topic subscription could not read');
    this.end('store_unavailable');
  }
}

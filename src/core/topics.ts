import type { CancelSignal } from '../domain/cancel.js';
import type { TopicInfo, TopicMessage, TopicRetention } from '../domain/topic.js';
import { ErrorCode, HubError } from '../errors.js';
import { log } from '../log.js';
import { TOPIC_NAME_PATTERN } from '../protocol.js';
import { nextMessageId, type TopicFeed, type TopicStore } from '../store/topic-store.js';
import { checkTimeout } from './limits.js';
import type { Parking } from './parking.js';
import { type TopicSink, TopicSubscription } from './topic-subscription.js';

export type { SubscriptionEnd, TopicSink } from './topic-subscription.js';

export interface TopicsOptions {
  /** Bytes a subscriber may leave unread before it is cut. */
  readonly subscriberBufferBytes: number;
  /** The longest `?wait` a pull may ask for. */
  readonly maxWaitMs: number;
  /** A new topic's retention, as the store applies it. */
  readonly defaultRetention: TopicRetention;
  /** The clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** What a cursor read found: the next message, and how many before it retention removed. */
export interface CursorRead {
  readonly message: TopicMessage | undefined;
  /** Ids between the cursor and `message` (or the topic's oldest) that are gone. */
  readonly skipped: number;
}

/** How often retention by age is applied to topics nobody touches. */
const REAP_EVERY_MS = 1000;

/** How long a topic's head (its creation and age setting) is trusted once read. */
const HEAD_FRESH_MS = 10_000;

/** What msgbus's frames say of a topic besides a message: when it began, how long it keeps one. */
export interface TopicHead {
  readonly createdAt: number;
  readonly maxAgeMs: number;
}

/**
 * Topics: publish, pull (msgbus's queue), read after an id, subscribe. The
 * store keeps the messages; this keeps what waits on them in this process:
 * long pulls and live subscriptions, woken by the store's feed.
 */
export class Topics {
  readonly #store: TopicStore;
  readonly #options: TopicsOptions;
  readonly #parking: Parking;
  readonly #now: () => number;
  /** Long pulls and reads waiting for a topic's next message. */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #subscriptions = new Map<string, Set<TopicSubscription>>();
  /** Heads read lately, for msgbus's frames: one look per topic per `HEAD_FRESH_MS`, not one per message. */
  readonly #heads = new Map<string, TopicHead & { readonly readAt: number }>();
  readonly #reaper: NodeJS.Timeout;

  constructor(store: TopicStore, options: TopicsOptions, parking: Parking) {
    this.#store = store;
    this.#options = options;
    this.#parking = parking;
    this.#now = options.now ?? Date.now;
    this.#reaper = setInterval(() => {
      this.#store.reapExpired(this.#now()).catch((error: unknown) => {
        log.debug({ err: error }, 'switchboard: topics could not be reaped');
      });
    }, REAP_EVERY_MS);
    this.#reaper.unref();
  }

  /** What the store's feed says of topics. */
  readonly feed: TopicFeed = {
    published: (topic, message) => {
      this.#wake(topic);
      for (const subscription of this.#subscriptions.get(topic) ?? []) subscription.heard(message);
    },
    deleted: (topic) => {
      this.#heads.delete(topic);
      this.#wake(topic);
      for (const subscription of [...(this.#subscriptions.get(topic) ?? [])]) {
        subscription.end('deleted');
      }
    },
  };

  /** A new topic's retention. */
  get defaultRetention(): TopicRetention {
    return this.#options.defaultRetention;
  }

  publish(topic: string, body: Uint8Array): Promise<TopicMessage> {
    assertTopicName(topic);
    return this.#store.publish(topic, body, this.#now());
  }

  /** msgbus's queue: the oldest message no pull has had, waiting up to `waitMs` for one. */
  pull(topic: string, waitMs?: number, gone?: CancelSignal): Promise<TopicMessage | undefined> {
    assertTopicName(topic);
    return this.#waitFor(topic, waitMs, gone, () => this.#store.pull(topic, this.#now()));
  }

  /** The first message after `after`, waiting up to `waitMs` for one; never consumes. */
  async read(
    topic: string,
    after: number,
    waitMs?: number,
    gone?: CancelSignal,
  ): Promise<CursorRead> {
    assertTopicName(topic);
    let skipped = 0;
    const message = await this.#waitFor(topic, waitMs, gone, async () => {
      const read = await this.#store.read(topic, after, 1, this.#now());
      const next = read.messages[0];
      skipped = Math.max(0, (next?.id ?? read.seq) - (after + 1));
      return next;
    });
    return { message, skipped };
  }

  /**
   * Sends `sink` every message after `after` (-1: from the oldest kept; `new`:
   * only what is published from now on), in order, until it ends.
   */
  subscribe(topic: string, after: number | 'new', sink: TopicSink): TopicSubscription {
    assertTopicName(topic);
    const subscription = new TopicSubscription(
      topic,
      this.#store,
      sink,
      { maxUnsentBytes: this.#options.subscriberBufferBytes, now: this.#now },
      (ended) => this.#forget(ended),
    );
    const set = this.#subscriptions.get(topic) ?? new Set();
    this.#subscriptions.set(topic, set);
    set.add(subscription);
    void subscription.start(after);
    return subscription;
  }

  /**
   * When the topic began and how long it keeps a message, as msgbus's frames
   * tell them; a topic not yet published to begins now, with the default age.
   */
  async head(topic: string): Promise<TopicHead> {
    const now = this.#now();
    const known = this.#heads.get(topic);
    if (known && now - known.readAt < HEAD_FRESH_MS) return known;
    const info = await this.#store.info(topic, now);
    const head = {
      createdAt: info?.createdAt ?? now,
      maxAgeMs: info?.retention.maxAgeMs ?? this.#options.defaultRetention.maxAgeMs,
      readAt: now,
    };
    // Bounded: only topics that exist are kept, and the store bounds those.
    if (info) this.#heads.set(topic, head);
    return head;
  }

  /** The id the next message of `topic` will have: what was published before now is below it. */
  nextId(topic: string): Promise<number> {
    return nextMessageId(this.#store, topic, this.#now());
  }

  /** Live subscriptions of `topic` in this process. */
  subscribers(topic: string): number {
    return this.#subscriptions.get(topic)?.size ?? 0;
  }

  info(topic: string): Promise<TopicInfo | undefined> {
    assertTopicName(topic);
    return this.#store.info(topic, this.#now());
  }

  list(): Promise<TopicInfo[]> {
    return this.#store.list(this.#now());
  }

  configure(topic: string, retention: TopicRetention): Promise<TopicInfo> {
    assertTopicName(topic);
    this.#heads.delete(topic);
    return this.#store.configure(topic, retention, this.#now());
  }

  remove(topic: string): Promise<boolean> {
    assertTopicName(topic);
    this.#heads.delete(topic);
    return this.#store.remove(topic);
  }

  /** Shutdown: every subscription ends (`shutdown`); parked pulls end with the hub's parking. */
  close(): void {
    clearInterval(this.#reaper);
    for (const set of [...this.#subscriptions.values()]) {
      for (const subscription of [...set]) subscription.end('shutdown');
    }
  }

  /**
   * Runs `look` until it finds something or `waitMs` is over. The waiter is set
   * before each look, so a message published while the look is on its way still wakes it.
   */
  async #waitFor<T>(
    topic: string,
    asked: number | undefined,
    gone: CancelSignal | undefined,
    look: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const waitMs = checkTimeout(asked, 0, this.#options.maxWaitMs, { fallback: 0, what: '?wait' });
    if (waitMs === 0) return look();
    const wait = this.#parking.park(`#topic:${topic}`, waitMs, gone);
    try {
      for (;;) {
        let wake = () => {};
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
        });
        const waiters = this.#waitersOf(topic);
        waiters.add(wake);
        try {
          const found = await look();
          if (found !== undefined || wait.signal.aborted) return found;
          await new Promise<void>((resolve) => {
            wait.signal.addEventListener('abort', resolve, { once: true });
            void woken.then(resolve);
          });
          if (wait.signal.aborted) return look();
        } finally {
          waiters.delete(wake);
          if (waiters.size === 0) this.#waiters.delete(topic);
        }
      }
    } finally {
      wait.end();
    }
  }

  #waitersOf(topic: string): Set<() => void> {
    const set = this.#waiters.get(topic) ?? new Set();
    this.#waiters.set(topic, set);
    return set;
  }

  #wake(topic: string): void {
    for (const wake of this.#waiters.get(topic) ?? []) wake();
  }

  #forget(subscription: TopicSubscription): void {
    const set = this.#subscriptions.get(subscription.topic);
    set?.delete(subscription);
    if (set?.size === 0) this.#subscriptions.delete(subscription.topic);
  }
}

export function assertTopicName(name: string): void {
  if (!TOPIC_NAME_PATTERN.test(name)) {
    throw new HubError(
      ErrorCode.InvalidTopicName,
      `invalid topic name '${name.slice(0, 140)}': use 1-128 of A-Z a-z 0-9 . : _ - starting with a letter or digit`,
    );
  }
}

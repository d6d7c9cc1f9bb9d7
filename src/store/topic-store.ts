import type { TopicInfo, TopicMessage, TopicRead, TopicRetention } from '../domain/topic.js';

/**
 * What a topic store tells its owner, after each transition and as plain data.
 * A networked store tells every replica, in publish order per topic.
 */
export interface TopicFeed {
  /** A message was published (and is kept): wake long pulls, push to subscribers. */
  published(topic: string, message: TopicMessage): void;
  /** A topic was deleted: its subscribers are told and let go. */
  deleted(topic: string): void;
}

/** Where topics live, whatever keeps them: limits for all topics, defaults for each. */
export interface TopicStoreOptions {
  /** A new topic's retention until it is set otherwise (`PATCH /topics/<t>`). */
  readonly retention: TopicRetention;
  /** Topics kept at once; a publish creating one more is `too_many_topics`. */
  readonly maxTopics: number;
  /** Bytes of messages kept in all topics; a publish past it is `topics_full`. */
  readonly maxBytes: number;
}

/**
 * The topics: retained logs with one shared queue cursor each. The same
 * promises as the job store's (store/job-store.ts): plain data only, each
 * operation atomic (two replicas never hand one queued message to two pullers,
 * never give two messages one id), no timers (time is passed in; the core calls
 * `reapExpired`), outcomes through the feed. test/store/topic-contract.ts checks
 * them against every store.
 *
 * - Ids count from 0 per topic, with no gaps; a topic keeps its count when its
 *   messages expire, and only `remove` forgets it.
 * - Retention is enforced on every operation, not only when reaped: no read or
 *   pull ever returns a message past its age.
 * - Nothing is lost silently: a publish that does not fit is refused
 *   (`topic_full`, `topics_full`, `too_many_topics`), and what retention
 *   removes is counted.
 * - Reading never creates a topic.
 */
export interface TopicStore {
  /** A new topic's retention. */
  readonly defaultRetention: TopicRetention;

  /**
   * Appends a message, creating the topic if need be; the feed hears
   * `published`. Throws `HubError` `topic_full`, `topics_full` or `too_many_topics`.
   */
  publish(topic: string, body: Uint8Array, now: number): Promise<TopicMessage>;

  /** The queue: hands out the oldest message no pull has had yet, once; undefined when none. */
  pull(topic: string, now: number): Promise<TopicMessage | undefined>;

  /** Up to `count` messages with ids above `after` (-1: from the oldest kept); never consumes. */
  read(topic: string, after: number, count: number, now: number): Promise<TopicRead>;

  /** One topic's figures; undefined when it does not exist. */
  info(topic: string, now: number): Promise<TopicInfo | undefined>;

  /** Every topic's figures, by name. */
  list(now: number): Promise<TopicInfo[]>;

  /** Sets a topic's retention (creating the topic if need be) and applies it at once. */
  configure(topic: string, retention: TopicRetention, now: number): Promise<TopicInfo>;

  /** Deletes a topic and its messages; the feed hears `deleted`. False if it did not exist. */
  remove(topic: string): Promise<boolean>;

  /** Removes messages past their age, in every topic. */
  reapExpired(now: number): Promise<void>;
}

/** The id the next message of `topic` will get: every message published before now is below it. */
export async function nextMessageId(
  store: TopicStore,
  topic: string,
  now: number,
): Promise<number> {
  return (await store.read(topic, Number.MAX_SAFE_INTEGER, 0, now)).seq;
}

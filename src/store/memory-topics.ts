import type { TopicInfo, TopicMessage, TopicRead, TopicRetention } from '../domain/topic.js';
import { topicRefusals } from './refusals.js';
import type { TopicFeed, TopicStore, TopicStoreOptions } from './topic-store.js';

/** One topic: its kept messages in id order (ids `first` … `seq - 1`), and its queue cursor. */
interface TopicState {
  readonly name: string;
  readonly createdAt: number;
  retention: TopicRetention;
  /** Kept messages; `messages[head]` has id `first`. */
  messages: TopicMessage[];
  head: number;
  first: number;
  seq: number;
  bytes: number;
  /** The next id the queue hands out. */
  queueNext: number;
  expired: number;
  dropped: number;
}

/** Compact the array once this many removed messages sit before its head. */
const COMPACT_AT = 1024;

/** The topics in this process's memory (store/topic-store.ts has the contract). */
export class MemoryTopics implements TopicStore {
  readonly #options: TopicStoreOptions;
  readonly #feed: () => TopicFeed;
  readonly #topics = new Map<string, TopicState>();
  /** Bytes kept in all topics. */
  #bytes = 0;
  readonly defaultRetention: TopicRetention;

  /** `feed`: the store's feed, read at each transition (it is set after construction). */
  constructor(options: TopicStoreOptions, feed: () => TopicFeed) {
    this.#options = options;
    this.defaultRetention = options.retention;
    this.#feed = feed;
  }

  async publish(name: string, body: Uint8Array, now: number): Promise<TopicMessage> {
    const topic = this.#topics.get(name) ?? this.#create(name, now);
    this.#expire(topic, now);
    const size = body.byteLength;
    const { retention } = topic;
    const over = () =>
      topic.seq - topic.first + 1 > retention.maxMessages ||
      topic.bytes + size > retention.maxBytes ||
      this.#bytes + size > this.#options.maxBytes;
    // Room comes first from what the queue has handed out, then, for a
    // broadcast topic (discard 'old'), from the oldest.
    while (over() && topic.first < topic.seq) {
      const handedOut = topic.first < topic.queueNext;
      if (!handedOut && retention.discard === 'new') break;
      if (!handedOut) topic.dropped++;
      this.#shift(topic);
    }
    if (
      topic.seq - topic.first + 1 > retention.maxMessages ||
      topic.bytes + size > retention.maxBytes
    ) {
      throw topicRefusals.topicFull(name, topic.seq - topic.first, topic.bytes);
    }
    if (this.#bytes + size > this.#options.maxBytes) throw topicRefusals.topicsFull(this.#bytes);
    const message: TopicMessage = { id: topic.seq, publishedAt: now, body };
    topic.messages.push(message);
    topic.seq++;
    topic.bytes += size;
    this.#bytes += size;
    this.#feed().published(name, message);
    return message;
  }

  async pull(name: string, now: number): Promise<TopicMessage | undefined> {
    const topic = this.#topics.get(name);
    if (!topic) return undefined;
    this.#expire(topic, now);
    if (topic.queueNext < topic.first) topic.queueNext = topic.first;
    if (topic.queueNext >= topic.seq) return undefined;
    const message = this.#at(topic, topic.queueNext);
    topic.queueNext++;
    return message;
  }

  async read(name: string, after: number, count: number, now: number): Promise<TopicRead> {
    const topic = this.#topics.get(name);
    if (!topic) return { messages: [], first: 0, seq: 0 };
    this.#expire(topic, now);
    const from = Math.max(after + 1, topic.first);
    const to = Math.min(topic.seq, from + count);
    const messages: TopicMessage[] = [];
    for (let id = from; id < to; id++) messages.push(this.#at(topic, id));
    return { messages, first: topic.first, seq: topic.seq };
  }

  async info(name: string, now: number): Promise<TopicInfo | undefined> {
    const topic = this.#topics.get(name);
    if (!topic) return undefined;
    this.#expire(topic, now);
    return infoOf(topic);
  }

  async list(now: number): Promise<TopicInfo[]> {
    const names = [...this.#topics.keys()].sort();
    return names.map((name) => {
      const topic = this.#topics.get(name) as TopicState;
      this.#expire(topic, now);
      return infoOf(topic);
    });
  }

  async configure(name: string, retention: TopicRetention, now: number): Promise<TopicInfo> {
    const topic = this.#topics.get(name) ?? this.#create(name, now);
    topic.retention = retention;
    this.#expire(topic, now);
    // A smaller cap applies at once, oldest first, as a publish's trimming would.
    while (
      topic.first < topic.seq &&
      (topic.seq - topic.first > retention.maxMessages || topic.bytes > retention.maxBytes)
    ) {
      if (topic.first >= topic.queueNext) topic.dropped++;
      this.#shift(topic);
    }
    return infoOf(topic);
  }

  async remove(name: string): Promise<boolean> {
    const topic = this.#topics.get(name);
    if (!topic) return false;
    this.#bytes -= topic.bytes;
    this.#topics.delete(name);
    this.#feed().deleted(name);
    return true;
  }

  async reapExpired(now: number): Promise<void> {
    for (const topic of this.#topics.values()) this.#expire(topic, now);
  }

  #create(name: string, now: number): TopicState {
    if (this.#topics.size >= this.#options.maxTopics) {
      throw topicRefusals.tooManyTopics(name, this.#topics.size);
    }
    const topic: TopicState = {
      name,
      createdAt: now,
      retention: this.#options.retention,
      messages: [],
      head: 0,
      first: 0,
      seq: 0,
      bytes: 0,
      queueNext: 0,
      expired: 0,
      dropped: 0,
    };
    this.#topics.set(name, topic);
    return topic;
  }

  /** Removes the messages past their age from the head: ids are in publish order, so are ages. */
  #expire(topic: TopicState, now: number): void {
    const oldestKept = now - topic.retention.maxAgeMs;
    while (topic.first < topic.seq && this.#at(topic, topic.first).publishedAt <= oldestKept) {
      if (topic.first >= topic.queueNext) topic.expired++;
      this.#shift(topic);
    }
  }

  #at(topic: TopicState, id: number): TopicMessage {
    return topic.messages[topic.head + id - topic.first] as TopicMessage;
  }

  #shift(topic: TopicState): void {
    const size = this.#at(topic, topic.first).body.byteLength;
    topic.head++;
    topic.first++;
    topic.bytes -= size;
    this.#bytes -= size;
    if (topic.head >= COMPACT_AT && topic.head * 2 >= topic.messages.length) {
      topic.messages = topic.messages.slice(topic.head);
      topic.head = 0;
    }
  }
}

function infoOf(topic: TopicState): TopicInfo {
  return {
    name: topic.name,
    createdAt: topic.createdAt,
    seq: topic.seq,
    first: topic.first,
    messages: topic.seq - topic.first,
    bytes: topic.bytes,
    queued: topic.seq - Math.max(topic.queueNext, topic.first),
    expired: topic.expired,
    dropped: topic.dropped,
    retention: topic.retention,
  };
}

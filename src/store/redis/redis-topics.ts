import type { Redis } from 'ioredis';
import type { TopicInfo, TopicMessage, TopicRead, TopicRetention } from '../../domain/topic.js';
import { topicRefusals } from '../refusals.js';
import type { TopicFeed, TopicStore, TopicStoreOptions } from '../topic-store.js';
import { defineScripts, type RunScript, type ScriptArg } from './define-scripts.js';
import { TOPIC_SCRIPT_SOURCES } from './topic-scripts.js';

type TopicScriptName = keyof typeof TOPIC_SCRIPT_SOURCES;

/** A topic's figures as the scripts return them (topic-scripts.ts `figures`). */
type FiguresReply = [
  Buffer,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  Buffer,
];

/**
 * The topics on Redis, on the job store's connection (redis-store.ts owns it
 * and hears `{p}:pub` for this class's feed). Each operation is one script of
 * topic-scripts.ts.
 */
export class RedisTopics implements TopicStore {
  readonly #scripts: Record<TopicScriptName, RunScript>;
  readonly #key: string;
  readonly #options: TopicStoreOptions;
  readonly defaultRetention: TopicRetention;
  /** Calls Redis, turning a lost connection into `store_unavailable`. */
  readonly #guard: <T>(call: Promise<T>) => Promise<T>;

  constructor(
    redis: Redis,
    key: string,
    options: TopicStoreOptions,
    guard: <T>(call: Promise<T>) => Promise<T>,
  ) {
    this.#scripts = defineScripts(redis, TOPIC_SCRIPT_SOURCES, 'bytes');
    this.#key = key;
    this.#options = options;
    this.defaultRetention = options.retention;
    this.#guard = guard;
  }

  #run(name: TopicScriptName, now: number, topic: string, ...own: ScriptArg[]) {
    return this.#guard(this.#scripts[name](this.#key, now, topic, ...own));
  }

  async publish(topic: string, body: Uint8Array, now: number): Promise<TopicMessage> {
    const { retention } = this.#options;
    const [what, first, second] = (await this.#run(
      'sbTopicPublish',
      now,
      topic,
      // ioredis sends a Buffer as bytes, any other Uint8Array as its String().
      Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      this.#options.maxTopics,
      this.#options.maxBytes,
      ...retentionArgs(retention),
    )) as [Buffer, number, number];
    switch (what.toString()) {
      case 'ok':
        return { id: first, publishedAt: now, body };
      case 'too_many_topics':
        throw topicRefusals.tooManyTopics(topic, first);
      case 'topics_full':
        throw topicRefusals.topicsFull(first);
      default:
        throw topicRefusals.topicFull(topic, first, second);
    }
  }

  async pull(topic: string, now: number): Promise<TopicMessage | undefined> {
    const reply = (await this.#run('sbTopicPull', now, topic)) as [number, number, Buffer] | [];
    if (reply.length === 0) return undefined;
    const [id, publishedAt, body] = reply;
    return { id, publishedAt, body: new Uint8Array(body) };
  }

  async read(topic: string, after: number, count: number, now: number): Promise<TopicRead> {
    const reply = (await this.#run('sbTopicRead', now, topic, after, count)) as (number | Buffer)[];
    const messages: TopicMessage[] = [];
    for (let i = 2; i < reply.length; i += 3) {
      messages.push({
        id: reply[i] as number,
        publishedAt: reply[i + 1] as number,
        body: new Uint8Array(reply[i + 2] as Buffer),
      });
    }
    return { messages, first: reply[0] as number, seq: reply[1] as number };
  }

  async info(topic: string, now: number): Promise<TopicInfo | undefined> {
    const reply = (await this.#run('sbTopicInfo', now, topic)) as FiguresReply | [];
    return reply.length === 0 ? undefined : infoOf(reply);
  }

  async list(now: number): Promise<TopicInfo[]> {
    const reply = (await this.#run('sbTopicList', now, '')) as FiguresReply[];
    return reply.map(infoOf).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async configure(topic: string, retention: TopicRetention, now: number): Promise<TopicInfo> {
    const [what, figures] = (await this.#run(
      'sbTopicConfigure',
      now,
      topic,
      this.#options.maxTopics,
      ...retentionArgs(retention),
    )) as [Buffer, FiguresReply | number];
    if (what.toString() !== 'ok') throw topicRefusals.tooManyTopics(topic, figures as number);
    return infoOf(figures as FiguresReply);
  }

  async remove(topic: string): Promise<boolean> {
    return (await this.#run('sbTopicRemove', 0, topic)) === 1;
  }

  async reapExpired(now: number): Promise<void> {
    await this.#run('sbTopicList', now, '');
  }
}

function retentionArgs(retention: TopicRetention): (string | number)[] {
  return [retention.maxAgeMs, retention.maxMessages, retention.maxBytes, retention.discard];
}

function infoOf(reply: FiguresReply): TopicInfo {
  const [
    name,
    createdAt,
    seq,
    first,
    bytes,
    queued,
    expired,
    dropped,
    maxAgeMs,
    maxMessages,
    maxBytes,
    discard,
  ] = reply;
  return {
    name: name.toString(),
    createdAt,
    seq,
    first,
    messages: seq - first,
    bytes,
    queued,
    expired,
    dropped,
    retention: {
      maxAgeMs,
      maxMessages,
      maxBytes,
      discard: discard.toString() === 'old' ? 'old' : 'new',
    },
  };
}

/**
 * A message on `{p}:pub` as the feed hears it: `<topic>\n<id>\n<publishedAt>\n<body>`,
 * or `<topic>\n-1` for a deleted topic.
 */
export function hearTopic(message: Buffer, feed: TopicFeed): void {
  const first = message.indexOf(0x0a);
  const second = message.indexOf(0x0a, first + 1);
  const topic = message.toString('utf8', 0, first);
  if (second === -1) {
    feed.deleted(topic);
    return;
  }
  const third = message.indexOf(0x0a, second + 1);
  feed.published(topic, {
    id: Number(message.toString('latin1', first + 1, second)),
    publishedAt: Number(message.toString('latin1', second + 1, third)),
    body: new Uint8Array(
      message.buffer,
      message.byteOffset + third + 1,
      message.length - third - 1,
    ),
  });
}

import type { TopicHead } from '../core/topics.js';
import type { TopicInfo, TopicMessage } from '../domain/topic.js';

/** Go's `time.Duration` in JSON: nanoseconds. */
const NS_PER_MS = 1_000_000;

/**
 * A message as msgbus sends it ([P-TOPIC-MSGBUS]): its own clients decode this
 * into their `Message`, so the names, the base64 payload (Go's `[]byte`), the
 * RFC 3339 times and the topic's TTL in nanoseconds are msgbus's. `seq` is the
 * topic's count when the message was published.
 */
export function msgbusMessage(topic: string, head: TopicHead, message: TopicMessage): string {
  return JSON.stringify({
    id: message.id,
    topic: {
      name: topic,
      ttl: head.maxAgeMs * NS_PER_MS,
      seq: message.id + 1,
      created: new Date(head.createdAt).toISOString(),
    },
    payload: Buffer.from(
      message.body.buffer,
      message.body.byteOffset,
      message.body.byteLength,
    ).toString('base64'),
    created: new Date(message.publishedAt).toISOString(),
  });
}

/** What one message looks like on one kind of wire: made once, whatever the number of subscribers. */
export type MessageForm<T> = (message: TopicMessage, make: () => T) => T;

/**
 * The form of the last message asked for, kept until another is asked for. A
 * published message reaches every live subscriber of a topic in one go (the
 * feed hands each the same message object), so a message published to 100
 * subscribers is serialized once, not 100 times (in the benchmark its JSON,
 * base64 and two dates were most of the cost of a fan-out). One slot, not a
 * map: a form must not live as long as the topic keeps its message.
 */
export function messageForm<T>(): MessageForm<T> {
  let last: TopicMessage | undefined;
  let form: T | undefined;
  return (message, make) => {
    if (message !== last) {
      form = make();
      last = message;
    }
    return form as T;
  };
}

/**
 * A topic as `GET /topics/` lists it: msgbus's four fields (`name`, `ttl`,
 * `seq`, `created`), then what Switchboard adds: what is kept, what retention
 * removed, the retention itself, and this replica's live subscribers.
 */
export function topicListing(info: TopicInfo, subscribers: number) {
  return {
    name: info.name,
    ttl: info.retention.maxAgeMs * NS_PER_MS,
    seq: info.seq,
    created: new Date(info.createdAt).toISOString(),
    first: info.first,
    messages: info.messages,
    bytes: info.bytes,
    queued: info.queued,
    expired: info.expired,
    dropped: info.dropped,
    subscribers,
    retention: info.retention,
  };
}

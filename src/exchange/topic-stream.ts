import type { SubscriptionEnd, TopicHead, Topics } from '../core/topics.js';
import type { TopicMessage } from '../domain/topic.js';
import type { MessageFilter } from './event-filter.js';
import type { Reply, StreamOut } from './reply.js';
import { messageForm, msgbusMessage } from './topic-json.js';

/** msgbus's JSON of a message, and its event-stream event, each made once for all subscribers. */
const msgbusJson = messageForm<string>();
const sseEvent = messageForm<string>();

/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

/** Where a msgbus-framed subscription writes: a WebSocket, an event stream. */
export interface MsgbusOut {
  /** Writes one message's frame; `json()` is msgbus's JSON of it, made once for every subscriber. */
  frame(json: () => string, message: TopicMessage): void;
  /** The bytes not yet taken by the client. */
  unsent(): number;
  end(reason: SubscriptionEnd, lastId: number): void;
}

/**
 * Subscribes `out` to `topic` with msgbus's frames, once the topic's head is
 * known (one look, then every frame carries it). Returns the stop, for when the
 * client leaves first.
 */
export function msgbusSubscription(
  topics: Topics,
  topic: string,
  after: number | 'new',
  out: MsgbusOut,
  accept: MessageFilter = undefined,
): () => void {
  let left = false;
  let stop = () => {};
  const started = (head: TopicHead) => {
    if (left) return;
    const subscription = topics.subscribe(topic, after, {
      send: (message) => {
        if (accept && !accept(message)) return;
        out.frame(() => msgbusJson(message, () => msgbusMessage(topic, head, message)), message);
      },
      unsent: () => out.unsent(),
      end: (reason, lastId) => {
        if (reason !== 'gone') out.end(reason, lastId);
      },
    });
    stop = () => subscription.end('gone');
  };
  topics
    .head(topic)
    .then(started, () => out.end('store_unavailable', typeof after === 'number' ? after : -1));
  return () => {
    left = true;
    stop();
  };
}

/**
 * `GET /topics/<t>` with `Accept: text/event-stream` ([P-TOPIC-SSE]): each
 * message as an event whose `id` is the message's id and whose `data` is
 * msgbus's JSON, so that a browser's `EventSource` resumes after a dropped
 * connection with `Last-Event-ID`, with no gap and no duplicate. When the hub
 * lets the subscriber go (too slow, topic deleted, shutdown) an `end` event
 * says why and which id to resume after.
 */
export function topicStreamReply(
  topics: Topics,
  topic: string,
  after: number | 'new',
  accept: MessageFilter = undefined,
): Reply {
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    },
    body: null,
    stream: {
      open: (out: StreamOut) => {
        out.write(': subscribed\n\n');
        const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        keepAlive.unref();
        const stop = msgbusSubscription(
          topics,
          topic,
          after,
          {
            frame: (json, message) => {
              out.write(sseEvent(message, () => `id: ${message.id}\ndata: ${json()}\n\n`));
            },
            unsent: () => out.unsent(),
            end: (reason, lastId) => {
              clearInterval(keepAlive);
              out.write(`event: end\ndata: ${JSON.stringify({ reason, lastId })}\n\n`);
              out.end();
            },
          },
          accept,
        );
        return () => {
          clearInterval(keepAlive);
          stop();
        };
      },
    },
  };
}

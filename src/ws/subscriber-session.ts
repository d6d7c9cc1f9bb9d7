import { type Grant, requireTopic } from '../auth.js';
import type { TopicSubscription } from '../core/topic-subscription.js';
import type { SubscriptionEnd, Topics } from '../core/topics.js';
import type { TopicMessage } from '../domain/topic.js';
import { ErrorCode, HubError } from '../errors.js';
import { versionFilter } from '../exchange/event-filter.js';
import { messageForm } from '../exchange/topic-json.js';
import { binaryFrame } from '../protocol.js';
import type { SubscribeFrame, UnsubscribeFrame } from './frames.js';
import type { FrameSink } from './worker-session.js';

/** A message's body in base64, made once for every subscriber. */
const base64Of = messageForm<string>();

function bodyBase64({ body }: TopicMessage): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
}

/** Subscriptions one socket may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;

/**
 * A socket's topic subscriptions ([P-WS-SUBSCRIBE], wsrest's rules): subscribe
 * and unsubscribe at any time, each acknowledged when done; each
 * subscription's messages in id order, once each; an unsubscribe ends a
 * subscription only after every message published before it was sent. Each
 * subscription has its own buffer limit: one that falls behind is ended
 * (`unsubscribed` with reason `slow` and its last id, to subscribe again after
 * it), never the socket's others, nor the socket.
 */
export class SubscriberSession {
  readonly #topics: Topics;
  readonly #peer: FrameSink;
  readonly #binary: boolean;
  readonly #subscriptions = new Map<string, TopicSubscription>();

  constructor(topics: Topics, peer: FrameSink, options: { binary: boolean }) {
    this.#topics = topics;
    this.#peer = peer;
    this.#binary = options.binary;
  }

  subscribe(frame: SubscribeFrame, grant: Grant | undefined): void {
    const { sid, topic } = frame;
    if (grant) requireTopic(grant, 'subscribe', topic);
    if (this.#subscriptions.has(sid)) {
      throw new HubError(ErrorCode.InvalidFrame, `the subscription '${sid}' is already open`);
    }
    if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      throw new HubError(
        ErrorCode.InvalidFrame,
        `a socket holds at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions`,
      );
    }
    const only = versionFilter(frame.version === undefined ? undefined : String(frame.version));
    const subscription = this.#topics.subscribe(topic, frame.after, {
      send: (message) => {
        if (!only || only(message)) this.#send(sid, topic, message);
      },
      unsent: () => this.#peer.unsent?.() ?? 0,
      end: (reason, lastId) => this.#ended(sid, reason, lastId),
    });
    this.#subscriptions.set(sid, subscription);
    this.#peer.send(JSON.stringify({ type: 'subscribed', sid, topic }));
  }

  /** Resolves once the hub knows where the topic stands; the `unsubscribed` frame comes when the last message before it is sent. */
  async unsubscribe(frame: UnsubscribeFrame): Promise<void> {
    const subscription = this.#subscriptions.get(frame.sid);
    if (!subscription) {
      throw new HubError(ErrorCode.InvalidFrame, `no subscription '${frame.sid}' is open`);
    }
    subscription.endAfter((await this.#topics.nextId(subscription.topic)) - 1);
  }

  /** The socket closed: every subscription ends, told nobody. */
  close(): void {
    for (const subscription of [...this.#subscriptions.values()]) subscription.end('gone');
    this.#subscriptions.clear();
  }

  #send(sid: string, topic: string, message: TopicMessage): void {
    const head = `{"type":"message","sid":${JSON.stringify(sid)},"topic":"${topic}","id":${message.id},"publishedAt":${message.publishedAt}`;
    if (this.#binary) {
      this.#peer.send(binaryFrame(`${head}}`, message.body), true);
      return;
    }
    this.#peer.send(`${head},"body64":"${base64Of(message, () => bodyBase64(message))}"}`);
  }

  #ended(sid: string, reason: SubscriptionEnd, lastId: number): void {
    this.#subscriptions.delete(sid);
    if (reason === 'gone') return;
    this.#peer.send(JSON.stringify({ type: 'unsubscribed', sid, reason, lastId }));
  }
}

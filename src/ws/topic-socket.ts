import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SubscriptionEnd, Topics } from '../core/topics.js';
import type { MessageFilter } from '../exchange/event-filter.js';
import { messageForm } from '../exchange/topic-json.js';
import { msgbusSubscription } from '../exchange/topic-stream.js';
import { CloseCode } from '../protocol.js';
import { corkForATurn } from '../util/cork-for-a-turn.js';

const textFrame = messageForm<Buffer>();

/** How each end of a subscription closes its socket. */
const CLOSE_CODES: Record<Exclude<SubscriptionEnd, 'gone' | 'unsubscribed'>, number> = {
  slow: CloseCode.SubscriberTooSlow,
  deleted: CloseCode.TopicDeleted,
  shutdown: CloseCode.GoingAway,
  store_unavailable: CloseCode.StoreUnavailable,
};

/**
 * A msgbus subscriber's WebSocket (`GET /topics/<t>` with an upgrade,
 * [P-TOPIC-WS]): each message published after `after` (or from now on) as one
 * text frame of msgbus's JSON. msgbus's clients send nothing but pings, which
 * `ws` answers; anything they do send is ignored. The hub pings every socket and
 * cuts one that stops answering (server.ts). When the hub lets it go, the close
 * reason is `{"reason", "lastId"}`: reconnect with `?after=<lastId>`.
 */
export function serveTopicSocket(
  ws: WebSocket,
  socket: Writable,
  topics: Topics,
  topic: string,
  after: number | 'new',
  accept: MessageFilter = undefined,
): void {
  const corked = corkForATurn(socket, () => ws.bufferedAmount);
  const stop = msgbusSubscription(
    topics,
    topic,
    after,
    {
      // A text frame from bytes encoded once for every subscriber.
      frame: (json, message) => {
        const frame = textFrame(message, () => Buffer.from(json()));
        corked.write();
        ws.send(frame, { binary: false });
      },
      // What this turn's corked frames hold is not the subscriber's slowness.
      unsent: corked.unsent,
      end: (reason, lastId) => {
        if (reason === 'gone' || reason === 'unsubscribed') return;
        ws.close(CLOSE_CODES[reason], JSON.stringify({ reason, lastId }));
      },
    },
    accept,
  );
  ws.on('close', stop);
}

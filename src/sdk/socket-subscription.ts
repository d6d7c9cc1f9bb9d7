import type WebSocket from 'ws';
import { splitBinaryFrame } from '../protocol.js';
import { Backoff, pause } from './backoff.js';
import { hubError, isHubClientError } from './errors.js';
import { closeRefusal, type HubFrame, openHubSocket } from './hub-socket.js';
import type { TopicMessage } from './topics.js';

/** Messages held for a busy handler before the socket stops reading (the hub then cuts the subscription, and it resumes). */
const MAX_HELD = 1000;

/** The one subscription of each socket: its sid. */
const SID = 's';

/**
 * `subscribe` over the hub's WebSocket (docs/websocket.md, Subscribers): a
 * socket of its own, a `subscribe` frame after the last id handled, messages
 * handed to `handler` one at a time. When the socket drops, or the hub ends
 * the subscription (too slow, shutdown), it reconnects with backoff and
 * resumes: no gap, no duplicate. Resolves when `signal` aborts or the topic is
 * deleted; rejects on a refusal (401, 403, a bad frame) or a handler's error.
 */
export async function runSocketSubscription(
  hub: { url: string; token: string | undefined },
  topic: string,
  handler: (message: TopicMessage) => unknown,
  state: { lastId: number },
  signal: AbortSignal,
): Promise<void> {
  const backoff = new Backoff();
  while (!signal.aborted) {
    let socket: WebSocket;
    try {
      socket = await openHubSocket(hub.url, hub.token);
    } catch (error) {
      if (!isHubClientError(error) || (error.status !== undefined && error.status < 500))
        throw error;
      await pause(backoff.next(), signal);
      continue;
    }
    const ended = await serveSocket(socket, topic, handler, state, signal, backoff);
    if (ended === 'deleted' || signal.aborted) return;
    await pause(backoff.next(), signal);
  }
}

/** One socket's life: resolves with why it ended; rejects on a refusal or a handler's error. */
function serveSocket(
  socket: WebSocket,
  topic: string,
  handler: (message: TopicMessage) => unknown,
  state: { lastId: number },
  signal: AbortSignal,
  backoff: Backoff,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const held: TopicMessage[] = [];
    let handling = false;
    let over = false;
    const finish = (outcome: () => void) => {
      if (over) return;
      over = true;
      signal.removeEventListener('abort', stop);
      socket.close(1000, 'done');
      outcome();
    };
    const stop = () => finish(() => resolve('stopped'));
    signal.addEventListener('abort', stop, { once: true });

    const handleNext = async () => {
      if (handling) return;
      handling = true;
      try {
        for (let message = held.shift(); message && !over; message = held.shift()) {
          await handler(message);
          state.lastId = message.id;
          backoff.reset();
          if (held.length < MAX_HELD / 2) socket.resume();
        }
      } catch (error) {
        finish(() => reject(error));
      } finally {
        handling = false;
      }
    };

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const split = isBinary ? splitBinaryFrame(data) : undefined;
      const frame = JSON.parse(split ? split.head : String(data)) as HubFrame;
      if (frame.type === 'message' && frame.sid === SID) {
        const id = frame.id as unknown as number;
        // A resumed subscription may repeat what a handler already had: skip it.
        if (id <= (held.at(-1)?.id ?? state.lastId)) return;
        held.push({
          id,
          topic,
          body: split ? new Uint8Array(split.body) : Buffer.from(String(frame.body64), 'base64'),
          publishedAt: frame.publishedAt as number,
        });
        if (held.length >= MAX_HELD) socket.pause();
        void handleNext();
      } else if (frame.type === 'unsubscribed' && frame.sid === SID) {
        finish(() => resolve(String(frame.reason)));
      } else if (frame.type === 'error' && frame.sid === SID) {
        const code = String(frame.code);
        const status = code === 'forbidden' ? 403 : 400;
        finish(() => reject(hubError(status, code, { error: { message: frame.message } })));
      }
    });
    socket.once('close', (code, reason) => {
      const refused = closeRefusal(code, reason);
      finish(() => (refused ? reject(refused) : resolve('closed')));
    });
    // Before any message, a subscription from now on starts from now again.
    const subscribe: Record<string, unknown> = { type: 'subscribe', sid: SID, topic };
    if (state.lastId >= -1) subscribe.after = state.lastId;
    socket.send(JSON.stringify(subscribe));
  });
}

import { Header } from '../protocol.js';
import { Backoff, pause } from './backoff.js';
import { hubErrorFrom, isHubClientError } from './errors.js';

/** A topic's message as the SDK hands it over. */
export interface TopicMessage {
  /** From 0 per topic, in publish order: resume after it with `from`. */
  readonly id: number;
  readonly topic: string;
  /** The message's bytes, as published. */
  readonly body: Uint8Array;
  /** Epoch ms at which the hub took it. */
  readonly publishedAt: number;
}

/** Where `subscribe` starts: after an id, with the oldest message kept, or with what is published from now on. */
export type SubscribeFrom = number | 'oldest' | 'new';

export interface SubscribeOptions {
  /** @default 'new' */
  readonly from?: SubscribeFrom;
  /** Stops the subscription; `done` then resolves. */
  readonly signal?: AbortSignal;
}

export interface Subscription {
  /** The id of the last message handled; -1 before any. */
  readonly lastId: number;
  /** Resolves when the subscription stops (its signal, `stop()`, or its topic deleted); rejects on a refusal (401, 403, 400). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** How the SDK reaches the hub: its fetch with the base URL and token applied. */
export type HubFetch = (path: string, init: RequestInit) => Promise<Response>;

/** msgbus's JSON, as the hub sends it. */
interface WireMessage {
  id: number;
  topic: { name: string };
  payload: string;
  created: string;
}

/** Publishes `body` (bytes as they are; a string as UTF-8; anything else as JSON); resolves its id. */
export async function publish(fetchHub: HubFetch, topic: string, body: unknown): Promise<number> {
  const bytes = messageBytes(body);
  const response = await fetchHub(topicPath(topic), { method: 'PUT', body: bytes });
  if (!response.ok) throw await hubErrorFrom(response);
  await response.arrayBuffer();
  return Number(response.headers.get(Header.MessageId));
}

/**
 * The queue's next message (each to one puller), waiting up to `waitMs` for
 * one; undefined when none came.
 */
export async function pull(
  fetchHub: HubFetch,
  topic: string,
  { waitMs, signal }: { waitMs?: number; signal?: AbortSignal } = {},
): Promise<TopicMessage | undefined> {
  const query = waitMs === undefined ? '' : `?wait=${waitMs}`;
  const init: RequestInit = signal ? { signal } : {};
  const response = await fetchHub(`${topicPath(topic)}${query}`, init);
  if (response.status === 404 && response.headers.get(Header.Error) === 'no_messages') {
    await response.arrayBuffer();
    return undefined;
  }
  if (!response.ok) throw await hubErrorFrom(response);
  return messageOf((await response.json()) as WireMessage);
}

/**
 * A subscription handle around `run`, which calls the handler with each
 * message in order, one at a time, and resumes after a dropped connection
 * (runStreamSubscription over HTTP, runSocketSubscription over a WebSocket).
 */
export function subscribe(
  options: SubscribeOptions,
  run: (state: { lastId: number }, signal: AbortSignal) => Promise<void>,
): Subscription {
  const stopper = new AbortController();
  options.signal?.addEventListener('abort', () => stopper.abort(), { once: true });
  const state = { lastId: startAfter(options.from ?? 'new') };
  const done = run(state, stopper.signal);
  return {
    get lastId() {
      return Math.max(state.lastId, -1);
    },
    done,
    stop: async () => {
      stopper.abort();
      await done.catch(() => {});
    },
  };
}

/** `?after` for a start: -1 for the oldest, undefined (-2 here) for "from now on". */
function startAfter(from: SubscribeFrom): number {
  if (from === 'oldest') return -1;
  if (from === 'new') return NEW;
  if (!Number.isInteger(from) || from < -1) {
    throw new TypeError(`Expected \`from\` to be a message id, 'oldest' or 'new', got ${from}`);
  }
  return from;
}

/** No message handled yet, and none asked for from before now. */
export const NEW = -2;

/** A subscription over an event stream: `subscribe`'s `run` over HTTP. */
export async function runStreamSubscription(
  fetchHub: HubFetch,
  topic: string,
  handler: (message: TopicMessage) => unknown,
  state: { lastId: number },
  signal: AbortSignal,
): Promise<void> {
  const backoff = new Backoff();
  while (!signal.aborted) {
    const query = state.lastId === NEW ? '' : `?after=${state.lastId}`;
    let response: Response;
    try {
      response = await fetchHub(`${topicPath(topic)}${query}`, {
        headers: { accept: 'text/event-stream' },
        signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (!isHubClientError(error)) throw error;
      await pause(backoff.next(), signal);
      continue;
    }
    if (!response.ok) {
      const error = await hubErrorFrom(response);
      // Refusals are final; the hub's being busy or away is not.
      if (response.status < 500) throw error;
      await pause(backoff.next(), signal);
      continue;
    }
    const ended = await readEvents(response, async (event, data) => {
      if (event === 'end') return data;
      const message = messageOf(JSON.parse(data) as WireMessage);
      await handler(message);
      state.lastId = message.id;
      backoff.reset();
      return undefined;
    });
    if (ended && (JSON.parse(ended) as { reason: string }).reason === 'deleted') return;
    if (!signal.aborted) await pause(backoff.next(), signal);
  }
}

/**
 * Reads an event stream, calling `each(event, data)` for each event in turn;
 * resolves with what `each` returned for the first event it returned something
 * for (the stream is then left), or undefined when the stream ends.
 */
async function readEvents(
  response: Response,
  each: (event: string, data: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const body = response.body;
  if (!body) return undefined;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch {
        // The connection dropped mid-stream (or was stopped): the caller reconnects, or not.
        return undefined;
      }
      if (chunk.done) return undefined;
      buffered += decoder.decode(chunk.value, { stream: true });
      for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (data === '') continue;
        // A handler's error ends the subscription: it is the caller's to see.
        const result = await each(event, data);
        if (result !== undefined) return result;
      }
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

/** A message to publish as bytes: bytes as they are, a string as UTF-8, anything else as JSON. */
export function messageBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

export function topicPath(topic: string): string {
  return `/topics/${encodeURIComponent(topic)}`;
}

function messageOf(wire: WireMessage): TopicMessage {
  return {
    id: wire.id,
    topic: wire.topic.name,
    body: new Uint8Array(Buffer.from(wire.payload, 'base64')),
    publishedAt: Date.parse(wire.created),
  };
}

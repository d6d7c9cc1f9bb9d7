import { Header, type HubStatus, isJsonMediaType } from '../protocol.js';
import { authorizationHeader } from './authorization.js';
import { CallerSocket } from './caller-socket.js';
import { hubError, hubErrorFrom, unreachable } from './errors.js';
import { runSocketSubscription } from './socket-subscription.js';
import {
  type HubFetch,
  messageBytes,
  publish,
  pull,
  runStreamSubscription,
  type SubscribeOptions,
  type Subscription,
  subscribe,
  type TopicMessage,
  topicPath,
} from './topics.js';

export interface HubClientOptions {
  /** The hub's base URL. @example 'http://127.0.0.1:8080' */
  readonly url: string;
  /** A bearer token, when the hub has auth on (docs/protocol.md, Authentication). */
  readonly token?: string | undefined;
  /**
   * `http`: one HTTP request per call. `ws`: every call a frame on one WebSocket,
   * opened on the first call (docs/websocket.md); call `close()` when done.
   * Same statuses, errors and headers either way. @default 'http'
   */
  readonly transport?: Transport;
}

/** How a client talks to the hub: HTTP requests, or the WebSocket channel. */
export type Transport = 'http' | 'ws';

export interface CallOptions {
  /** Milliseconds the hub waits for a worker (sent as `Hub-Timeout`). @default the hub's default, 30000 */
  readonly timeout?: number;
  /** Aborts the call; the hub withdraws the job if no worker holds it yet. */
  readonly signal?: AbortSignal;
  /** Extra request headers; safe ones reach the worker. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A worker's answer. Any status, 2xx or not: only hub errors throw. */
export interface HubResponse<T = unknown> {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  /** Parsed JSON for a JSON content type, a string for `text/*`, bytes otherwise. */
  readonly body: T;
  /**
   * The body as the worker sent it. Over `ws`, a JSON body travels as a JSON
   * value, so these are its bytes re-encoded (same value, maybe other spacing).
   */
  readonly bytes: Uint8Array;
}

/**
 * Calls services through the hub.
 *
 * @example
 * const client = new HubClient({ url: 'http://127.0.0.1:8080' });
 * const { body } = await client.call('add', { first: 1, second: 2 }); // { answer: 3 }
 */
export class HubClient {
  readonly #url: string;
  readonly #auth: Record<string, string>;
  readonly #token: string | undefined;
  /** The WebSocket of `transport: 'ws'`; undefined over HTTP. */
  readonly #socket: CallerSocket | undefined;

  constructor(options: HubClientOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#auth = authorizationHeader(options.token);
    this.#token = options.token;
    const transport = options.transport ?? 'http';
    if (transport !== 'http' && transport !== 'ws') {
      throw new TypeError(`Expected \`transport\` to be 'http' or 'ws', got ${transport}`);
    }
    this.#socket = transport === 'ws' ? new CallerSocket(this.#url, options.token) : undefined;
  }

  /**
   * Sends `body` to `service` and waits for a worker's answer. A `Uint8Array` is
   * sent as bytes (`application/octet-stream` unless `headers` name a type); anything
   * else as JSON. Throws `HubClientError` for hub errors (`timeout`, `queue_full`, ...)
   * and `hub_unreachable`.
   */
  async call<T = unknown>(
    service: string,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<HubResponse<T>> {
    const isBytes = body instanceof Uint8Array;
    const headers: Record<string, string> = {
      'content-type': isBytes ? 'application/octet-stream' : 'application/json',
      ...lowerCaseKeys(options.headers),
    };
    if (options.timeout !== undefined) headers[Header.Timeout] = String(options.timeout);
    const route = `/service/${encodeURIComponent(service)}`;
    if (this.#socket) return this.#callOverSocket(this.#socket, route, headers, body, options);
    Object.assign(headers, this.#auth);
    const init: RequestInit = {
      method: 'POST',
      headers,
      body: isBytes ? body : body === undefined ? null : JSON.stringify(body),
    };
    if (options.signal) init.signal = options.signal;
    const response = await this.#fetch(route, init);
    if (response.headers.has(Header.Error)) throw await hubErrorFrom(response);
    return hubResponse(
      response.status,
      response.headers,
      new Uint8Array(await response.arrayBuffer()),
    );
  }

  /** One call as a request frame; the token went on the socket's upgrade. */
  async #callOverSocket<T>(
    socket: CallerSocket,
    route: string,
    headers: Record<string, string>,
    body: unknown,
    options: CallOptions,
  ): Promise<HubResponse<T>> {
    const bytes =
      body instanceof Uint8Array
        ? body
        : body === undefined
          ? new Uint8Array(0)
          : Buffer.from(JSON.stringify(body));
    const frame = await socket.request({ m: 'POST', r: route, h: headers }, bytes, options.signal);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(frame.h)) {
      for (const line of typeof value === 'string' ? [value] : value)
        responseHeaders.append(name, line);
    }
    const code = responseHeaders.get(Header.Error);
    if (code !== null) {
      throw hubError(
        frame.c,
        code,
        decodeBody(responseHeaders.get('content-type') ?? '', frame.bytes),
      );
    }
    return hubResponse(frame.c, responseHeaders, frame.bytes);
  }

  /** Closes the WebSocket of `transport: 'ws'` (calls in flight fail); nothing to do over HTTP. */
  async close(): Promise<void> {
    await this.#socket?.close();
  }

  /**
   * Publishes `body` to `topic` (bytes as they are, a string as UTF-8, anything
   * else as JSON; docs/events.md); resolves the message's id.
   */
  async publish(topic: string, body: unknown): Promise<number> {
    if (!this.#socket) return publish(this.#topicFetch, topic, body);
    const frame = await this.#socket.request(
      { m: 'PUT', r: topicPath(topic), h: {} },
      messageBytes(body),
    );
    const code = frame.h[Header.Error];
    if (typeof code === 'string') {
      throw hubError(frame.c, code, decodeBody('application/json', frame.bytes));
    }
    return Number(frame.h[Header.MessageId]);
  }

  /** The topic queue's next message (each goes to one puller), waiting up to `waitMs`; undefined if none came. */
  pull(
    topic: string,
    options: { waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<TopicMessage | undefined> {
    return pull(this.#topicFetch, topic, options);
  }

  /**
   * Calls `handler` with each message of `topic` from `from` on, in order, one
   * at a time; reconnects and resumes after a dropped connection with no gap
   * and no duplicate. Over an event stream, or with `transport: 'ws'` a
   * WebSocket of its own.
   */
  subscribe(
    topic: string,
    handler: (message: TopicMessage) => unknown,
    options: SubscribeOptions = {},
  ): Subscription {
    const hub = { url: this.#url, token: this.#token };
    return subscribe(options, (state, signal) =>
      this.#socket
        ? runSocketSubscription(hub, topic, handler, state, signal)
        : runStreamSubscription(this.#topicFetch, topic, handler, state, signal),
    );
  }

  readonly #topicFetch: HubFetch = (path, init) =>
    this.#fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...this.#auth },
    });

  /** The hub's `GET /status`. */
  async status(): Promise<HubStatus> {
    const response = await this.#fetch('/status', { headers: this.#auth });
    if (!response.ok) throw await hubErrorFrom(response);
    return (await response.json()) as HubStatus;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.#url}${path}`, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw unreachable(this.#url, error);
    }
  }
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A worker's answer as `call` gives it, from either transport: the same bytes, decoded alike. */
function hubResponse<T>(status: number, headers: Headers, bytes: Uint8Array): HubResponse<T> {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    body: decodeBody(headers.get('content-type') ?? '', bytes) as T,
    bytes,
  };
}

function decodeBody(contentType: string, bytes: Uint8Array): unknown {
  const text = () => Buffer.from(bytes).toString('utf8');
  if (isJsonMediaType(contentType)) return bytes.byteLength === 0 ? null : JSON.parse(text());
  if (contentType.trim().toLowerCase().startsWith('text/')) return text();
  return bytes;
}

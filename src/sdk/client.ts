import { Header, type HubStatus, isJsonMediaType } from '../protocol.js';
import { hubErrorFrom, unreachable } from './errors.js';

export interface HubClientOptions {
  /** The hub's base URL. @example 'http://127.0.0.1:8080' */
  readonly url: string;
  /** A bearer token, when the hub has auth on (docs/protocol.md, Authentication). */
  readonly token?: string | undefined;
}

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
  /** The body exactly as the worker sent it. */
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

  constructor(options: HubClientOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#auth = authorizationHeader(options.token);
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
      ...this.#auth,
      ...lowerCaseKeys(options.headers),
    };
    if (options.timeout !== undefined) headers[Header.Timeout] = String(options.timeout);
    const init: RequestInit = {
      method: 'POST',
      headers,
      body: isBytes ? body : body === undefined ? null : JSON.stringify(body),
    };
    if (options.signal) init.signal = options.signal;
    const response = await this.#fetch(`/service/${encodeURIComponent(service)}`, init);
    if (response.headers.has(Header.Error)) throw await hubErrorFrom(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      body: decodeBody(response.headers.get('content-type') ?? '', bytes) as T,
      bytes,
    };
  }

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

/** `Authorization: Bearer <token>`, or no header without a token. */
export function authorizationHeader(token: string | undefined): Record<string, string> {
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function decodeBody(contentType: string, bytes: Uint8Array): unknown {
  const text = () => Buffer.from(bytes).toString('utf8');
  if (isJsonMediaType(contentType)) return bytes.byteLength === 0 ? null : JSON.parse(text());
  if (contentType.trim().toLowerCase().startsWith('text/')) return text();
  return bytes;
}

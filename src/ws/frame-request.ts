import type { CancelSignal } from '../domain/cancel.js';

/**
 * A request frame as the route table reads a request: its URL, method, headers,
 * body and signal. Not a fetch `Request`: building one (with a body stream and an
 * AbortSignal) cost the WebSocket caller path more than the hub's own work per
 * call. Hono and the hub's handlers read only these members (the body as bytes,
 * text or JSON; its length is always said, so nothing asks for a stream).
 */
export class FrameRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: CancelSignal;
  readonly #body: Uint8Array | undefined;

  constructor(
    url: string,
    init: { method: string; headers: Headers; body: Uint8Array | undefined; signal: CancelSignal },
  ) {
    this.url = url;
    this.method = init.method;
    this.headers = init.headers;
    this.signal = init.signal;
    this.#body = init.body;
    // Said, so the body limit is checked from the header, never by streaming.
    this.headers.set('content-length', String(init.body?.byteLength ?? 0));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const body = this.#body ?? new Uint8Array(0);
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return Buffer.from(await this.arrayBuffer()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

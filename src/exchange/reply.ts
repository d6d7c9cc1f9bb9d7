/**
 * A response before it is written. The exchanges' handlers build one, and the
 * channel that carried the request writes it: Hono's app as a fetch `Response`
 * (http/hono-exchange.ts), the node:http fast path straight to Node's
 * `ServerResponse` (http/node-routes.ts), a WebSocket as a response frame
 * (ws/caller-session.ts). One builder per response, so every channel answers alike.
 */
export interface Reply {
  readonly status: number;
  /**
   * A record, or names and values in turn as Node's `rawHeaders` lists them
   * (where a name repeats, as a worker's `Set-Cookie` lines do, or where the
   * headers are built for each call: see answeredCallReply). Never a
   * `content-length` beside a body: the writer says the length.
   */
  readonly headers: Readonly<Record<string, string>> | RawHeaders;
  /** Null: no body (204, 304, or a bodyless answer), or a `stream`. */
  readonly body: Uint8Array | string | null;
  /**
   * A body written as it comes, after the head (server-sent events): the HTTP
   * channels open it; a WebSocket request frame, which carries one body, refuses it.
   */
  readonly stream?: ReplyStream;
}

/** A body that goes on after the head is sent, until either side ends it. */
export interface ReplyStream {
  /** Starts writing to `out`; returns what to call when the client leaves first. */
  open(out: StreamOut): () => void;
}

/** Where a streamed body goes. */
export interface StreamOut {
  /** Writes a chunk; returns the bytes written that the client has not yet taken. */
  write(chunk: string): number;
  /** The bytes written that the client has not yet taken. */
  unsent(): number;
  end(): void;
}

/** Names and values in turn: `['content-type', 'text/plain', 'set-cookie', 'a=1']`. */
export type RawHeaders = readonly string[];

export function isRawHeaders(headers: Reply['headers']): headers is RawHeaders {
  return Array.isArray(headers);
}

/** Calls `visit` with each header line of either form, in order. */
export function eachHeader(
  headers: Reply['headers'],
  visit: (name: string, value: string) => void,
): void {
  if (isRawHeaders(headers)) {
    for (let i = 0; i < headers.length; i += 2) visit(headers[i] ?? '', headers[i + 1] ?? '');
  } else {
    for (const name in headers) visit(name, headers[name] ?? '');
  }
}

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** 200 (or `status`) with `value` as JSON. */
export function jsonReply(value: unknown, status = 200): Reply {
  return { status, headers: JSON_TYPE, body: JSON.stringify(value) };
}

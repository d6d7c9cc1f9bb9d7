/**
 * A response before it is written. The hot routes' handlers build one, and the
 * server that parsed the request writes it: Hono's app as a fetch `Response`
 * (`toResponse`), the node:http fast path straight to Node's `ServerResponse`
 * (node-routes.ts). One builder per response, so both paths answer alike.
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
  /** Null: no body (204, 304, or a bodyless answer). */
  readonly body: Uint8Array | string | null;
}

/** Names and values in turn: `['content-type', 'text/plain', 'set-cookie', 'a=1']`. */
export type RawHeaders = readonly string[];

export function toResponse(reply: Reply): Response {
  return new Response(reply.body, { status: reply.status, headers: headersInit(reply.headers) });
}

function headersInit(
  headers: Reply['headers'],
): Readonly<Record<string, string>> | [string, string][] {
  if (!isRawHeaders(headers)) return headers;
  const pairs: [string, string][] = [];
  eachHeader(headers, (name, value) => pairs.push([name, value]));
  return pairs;
}

function isRawHeaders(headers: Reply['headers']): headers is RawHeaders {
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

import type { Context, Handler } from 'hono';
import type { Grant } from '../auth.js';
import type { CancelSignal } from '../domain/cancel.js';
import type { BodySizeCheck } from './body-limit.js';
import { type Reply, toResponse } from './reply.js';
import { requestGone } from './request-gone.js';
import { RequestHeaders } from './request-headers.js';

/**
 * A request as the hot routes' handlers read it (calls, polls, answers), whichever
 * server parsed it: Hono's app (`honoRequest`) or the node:http fast path
 * (node-routes.ts). The handlers are written once against this and build a `Reply`.
 */
export interface HubRequest {
  readonly method: string;
  /** The path and query as the client sent them, still percent-encoded. */
  readonly target: string;
  readonly headers: RequestHeaders;
  /** The token's grant when auth is on, as the route's guard found it. */
  readonly grant: Grant | undefined;
  // The methods are called on the request (the fast path's are a class's), so
  // `this` is typed: the compiler refuses one taken off it and called alone.
  /** A query parameter, decoded as Hono decodes it; the first when repeated. */
  query(this: HubRequest, name: string): string | undefined;
  /** The body's bytes; its size was checked before the handler ran. */
  body(this: HubRequest): Promise<Uint8Array>;
  /** Fires if the client goes away before its response is sent. Call once. */
  gone(this: HubRequest): CancelSignal;
}

/**
 * A Hono request as a `HubRequest`. With `checkBody`, a body over the limit is
 * refused first, before any header is read, as on every route with a body.
 */
export async function honoRequest(c: Context, checkBody?: BodySizeCheck): Promise<HubRequest> {
  const headers = RequestHeaders.of(c);
  const counting = checkBody?.(c, headers);
  if (counting) await counting;
  const url = c.req.url;
  return {
    method: c.req.method,
    target: url.slice(url.indexOf('/', url.indexOf('://') + 3)),
    headers,
    grant: c.get('grant'),
    query: (name) => c.req.query(name),
    body: async () => new Uint8Array(await c.req.arrayBuffer()),
    gone: () => requestGone(c),
  };
}

/** A Hono handler that serves `handle`'s reply: a hot route's one handler, on Hono. */
export function honoHandler(
  handle: (request: HubRequest, c: Context) => Promise<Reply>,
  checkBody?: BodySizeCheck,
): Handler {
  return async (c) => toResponse(await handle(await honoRequest(c, checkBody), c));
}

import type { Grant } from '../auth.js';
import type { CancelSignal } from '../domain/cancel.js';
import type { RequestHeaders } from './request-headers.js';

/**
 * A request as the exchanges' handlers read it, whichever channel carried it:
 * Hono's app (http/hono-exchange.ts), the node:http fast path
 * (http/node-routes.ts) or a WebSocket request frame (ws/frame-request.ts).
 * The handlers are written once against this and build a `Reply`.
 */
export interface ExchangeRequest {
  readonly method: string;
  /** The path and query as the client sent them, still percent-encoded. */
  readonly target: string;
  readonly headers: RequestHeaders;
  /** The token's grant when auth is on, as the exchange's access check found it. */
  readonly grant: Grant | undefined;
  // The methods are called on the request (the fast path's are a class's), so
  // `this` is typed: the compiler refuses one taken off it and called alone.
  /** A path parameter of the exchange's pattern (`:name`), decoded. */
  param(this: ExchangeRequest, name: string): string | undefined;
  /** A query parameter, decoded as Hono decodes it; the first when repeated. */
  query(this: ExchangeRequest, name: string): string | undefined;
  /** The body's bytes; its size was checked before the handler ran. */
  body(this: ExchangeRequest): Promise<Uint8Array>;
  /** Fires if the client goes away before its response is sent. Call once. */
  gone(this: ExchangeRequest): CancelSignal;
}

import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import type { ExchangeRequest } from '../exchange/request.js';
import { RequestHeaders } from '../exchange/request-headers.js';
import type { Exchange } from '../exchange/table.js';
import type { Access } from './access.js';
import { type BodySizeCheck, bodySizeCheck } from './body-limit.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requestGone } from './request-gone.js';
import { toResponse } from './response.js';

/**
 * Adds the table's exchanges to `app`: each pattern with its method, guarded by
 * its access rule, its body limit checked first; then, for each pattern, 405
 * with `Allow` for the methods it does not take.
 */
export function addExchanges(app: Hono, table: readonly Exchange[], access: Access): void {
  const allowed = new Map<string, { methods: string[]; exchange: Exchange }>();
  for (const exchange of table) {
    const checkBody =
      exchange.maxBodyBytes === undefined ? undefined : bodySizeCheck(exchange.maxBodyBytes);
    const handler = access.guard(
      exchange.role,
      exchange.services,
      async (c) => toResponse(await exchange.handle(await honoRequest(c, checkBody))),
      exchange.topic,
    );
    for (const path of exchange.paths) {
      if (exchange.method === 'ALL') {
        app.all(path, handler);
        continue;
      }
      app.on(exchange.method, path, handler);
      const known = allowed.get(path);
      if (known) known.methods.push(exchange.method);
      else allowed.set(path, { methods: [exchange.method], exchange });
    }
  }
  // After every exchange, so theirs match first: a known path, another method.
  for (const [path, { methods, exchange }] of allowed) {
    const allow = methodNotAllowed(...methods.sort());
    app.all(path, access.guard(exchange.role, exchange.services, allow, exchange.topic));
  }
}

/**
 * A Hono request as an `ExchangeRequest`. With `checkBody`, a body over the limit
 * is refused first, before any header is read, as on every route with a body.
 */
async function honoRequest(c: Context, checkBody?: BodySizeCheck): Promise<ExchangeRequest> {
  const headers = honoHeaders(c);
  const counting = checkBody?.(c, headers);
  if (counting) await counting;
  const url = c.req.url;
  return {
    method: c.req.method,
    target: url.slice(url.indexOf('/', url.indexOf('://') + 3)),
    headers,
    grant: c.get('grant'),
    param: (name) => c.req.param(name),
    query: (name) => c.req.query(name),
    body: async () => new Uint8Array(await c.req.arrayBuffer()),
    gone: () => requestGone(c),
  };
}

/** A Hono request's headers: Node's own parse when @hono/node-server serves it. */
export function honoHeaders(c: Context): RequestHeaders {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  return new RequestHeaders(incoming as IncomingMessage | undefined, () => c.req.raw.headers);
}

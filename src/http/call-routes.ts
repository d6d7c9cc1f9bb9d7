import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Access, pathService } from './access.js';
import type { AppOptions } from './app.js';
import { callReply, callRouteOptions } from './call-handler.js';
import type { PayloadOptions } from './call-payload.js';
import { honoHandler } from './hub-request.js';

const PREFIX = '/call/';

/**
 * `ANY /call/:service/*`: a whole HTTP request through the hub, for API gateways.
 * The job carries the method, the path below the service and the query, and shares
 * the service's queue with `POST /service/:name`.
 */
export function callRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  const call = callRouteOptions(options);
  const handler = access.guard(
    'caller',
    [pathService('service')],
    honoHandler(
      (request, c) =>
        callReply(hub, request, c.req.param('service') ?? '', gatewayCall(call, request.target)),
      call.checkBody,
    ),
  );
  for (const pattern of ['/:service', '/:service/*']) routes.all(pattern, handler);
  return routes;
}

/** A `/call` request's options: the path below the service, and any body carried as it came. */
export function gatewayCall<T>(call: T, target: string): T & PayloadOptions {
  return { ...call, path: pathBelowService(target), strictJson: false };
}

/**
 * `/call/users/42/posts?x=1` → `/42/posts`; `/call/users` → `/`. Kept
 * percent-encoded, as the client sent it (Hono's `c.req.path` is decoded).
 */
function pathBelowService(target: string): string {
  const query = target.indexOf('?');
  const rest = target.slice(PREFIX.length, query === -1 ? undefined : query);
  const slash = rest.indexOf('/');
  return slash === -1 ? '/' : rest.slice(slash);
}

import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Access, pathService } from './access.js';
import type { AppOptions } from './app.js';
import { callAndRespond, callRouteOptions } from './call-handler.js';

const PREFIX = '/call/';

/**
 * `ANY /call/:service/*`: a whole HTTP request through the hub, for API gateways.
 * The job carries the method, the path below the service and the query, and shares
 * the service's queue with `POST /service/:name`.
 */
export function callRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  const call = callRouteOptions(options);
  const handler = access.guard('caller', [pathService('service')], (c) =>
    callAndRespond(hub, c, c.req.param('service') ?? '', {
      ...call,
      path: pathBelowService(rawPath(c.req.url)),
      strictJson: false,
    }),
  );
  for (const pattern of ['/:service', '/:service/*']) routes.all(pattern, handler);
  return routes;
}

/** The URL's path as the client sent it: Hono's `c.req.path` is already percent-decoded. */
function rawPath(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  const query = url.indexOf('?', start);
  return url.slice(start, query === -1 ? undefined : query);
}

/** `/call/users/42/posts` → `/42/posts`; `/call/users` → `/`. Kept percent-encoded. */
function pathBelowService(fullPath: string): string {
  const rest = fullPath.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? '/' : rest.slice(slash);
}

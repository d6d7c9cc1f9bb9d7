import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Access, pathService } from './access.js';
import type { AppOptions } from './app.js';
import { callReply, callRouteOptions } from './call-handler.js';
import { honoHandler } from './hub-request.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { pollReply } from './poll-handler.js';

/** `/service/:name` (callers, AstroHub's form) and `/service/:name/jobs` (workers). */
export function serviceRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  const service = [pathService('name')];

  const call = callRouteOptions(options);
  // AstroHub carried any body as bytes; here a body that claims JSON must be JSON.
  const strictJson = options.compat !== 'astrohub';
  routes.post(
    '/:name',
    access.guard(
      'caller',
      service,
      honoHandler(
        (request, c) =>
          callReply(hub, request, c.req.param('name') ?? '', { ...call, path: '/', strictJson }),
        call.checkBody,
      ),
    ),
  );
  routes.all('/:name', access.guard('caller', service, methodNotAllowed('POST')));

  const headNotAllowed = methodNotAllowed('GET');
  const poll = honoHandler((request, c) =>
    pollReply(hub, request, c.req.param('name') ?? '', options),
  );
  routes.get(
    '/:name/jobs',
    access.guard('worker', service, (c, next) =>
      // Hono runs GET handlers for HEAD and drops the body: a HEAD poll would take a
      // job and throw it away. It takes nothing.
      c.req.method === 'HEAD' ? headNotAllowed(c, next) : poll(c, next),
    ),
  );
  routes.all('/:name/jobs', access.guard('worker', service, methodNotAllowed('GET')));

  return routes;
}

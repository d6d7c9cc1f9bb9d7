import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Access, pathService } from './access.js';
import type { AppOptions } from './app.js';
import { callAndRespond, callRouteOptions } from './call-handler.js';
import { jobResponse, jobsResponse } from './job-responses.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requestGone } from './request-gone.js';
import { takeOptions } from './take-options.js';

/** `/service/:name` (callers, AstroHub's form) and `/service/:name/jobs` (workers). */
export function serviceRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  const service = [pathService('name')];

  const call = callRouteOptions(options);
  // AstroHub carried any body as bytes; here a body that claims JSON must be JSON.
  const strictJson = options.compat !== 'astrohub';
  routes.post(
    '/:name',
    access.guard('caller', service, (c) =>
      callAndRespond(hub, c, c.req.param('name') ?? '', { ...call, path: '/', strictJson }),
    ),
  );
  routes.all('/:name', access.guard('caller', service, methodNotAllowed('POST')));

  const headNotAllowed = methodNotAllowed('GET');
  routes.get(
    '/:name/jobs',
    access.guard('worker', service, async (c) => {
      // Hono runs GET handlers for HEAD and drops the body: a HEAD poll would take a
      // job and throw it away. It takes nothing.
      if (c.req.method === 'HEAD') return headNotAllowed(c, async () => {});
      const asked = takeOptions(c, options);
      const take = {
        service: c.req.param('name') ?? '',
        timeoutMs: asked.timeoutMs,
        workerId: asked.workerId,
      };
      if (asked.max !== undefined) {
        return jobsResponse(await hub.takeBatch(take, asked.max, requestGone(c)), asked);
      }
      return jobResponse(await hub.take(take, requestGone(c)), asked);
    }),
  );
  routes.all('/:name/jobs', access.guard('worker', service, methodNotAllowed('GET')));

  return routes;
}

import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { bodySizeCheck } from './body-limit.js';
import { callAndRespond } from './call-handler.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requestGone } from './request-gone.js';
import { jobResponse, jobsResponse, takeOptions } from './take-handler.js';

/** `/service/:name` (callers, AstroHub's form) and `/service/:name/jobs` (workers). */
export function serviceRoutes(hub: Hub, limits: { maxBodyBytes: number }): Hono {
  const routes = new Hono();

  const checkBody = bodySizeCheck(limits.maxBodyBytes);
  routes.post('/:name', (c) =>
    callAndRespond(hub, c, c.req.param('name'), { path: '/', strictJson: true, checkBody }),
  );
  routes.all('/:name', methodNotAllowed('POST'));

  routes.get('/:name/jobs', async (c) => {
    const options = takeOptions(c);
    const take = {
      service: c.req.param('name'),
      timeoutMs: options.timeoutMs,
      workerId: options.workerId,
    };
    if (options.max !== undefined) {
      return jobsResponse(await hub.takeBatch(take, options.max, requestGone(c)), options);
    }
    return jobResponse(await hub.take(take, requestGone(c)), options);
  });
  routes.all('/:name/jobs', methodNotAllowed('GET'));

  return routes;
}

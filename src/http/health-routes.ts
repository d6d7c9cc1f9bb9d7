import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { errorResponse } from './error-status.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** `/status` and `/services` for people, dashboards and autoscalers, `/healthz` and `/readyz` for orchestrators. */
export function healthRoutes(hub: Hub): Hono {
  const routes = new Hono();

  routes.get('/status', async (c) => c.json(await hub.status()));
  routes.get('/services', async (c) => c.json({ services: await hub.services() }));
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', (c) =>
    hub.ready
      ? c.json({ status: 'ready' })
      : errorResponse(new HubError(ErrorCode.ShuttingDown, 'the hub is shutting down')),
  );
  for (const path of ['/status', '/services', '/healthz', '/readyz'])
    routes.all(path, methodNotAllowed('GET'));
  return routes;
}

import { type Handler, Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import type { Access } from './access.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { errorResponse } from './response.js';

/** `/status` and `/services` for people, dashboards and autoscalers, `/healthz` and `/readyz` for orchestrators. */
export function healthRoutes(hub: Hub, access: Access): Hono {
  const routes = new Hono();
  const admin = (handler: Handler) => access.guard('admin', [], handler);

  routes.get(
    '/status',
    admin(async (c) => c.json(await hub.status())),
  );
  routes.get(
    '/services',
    admin(async (c) => c.json({ services: await hub.services() })),
  );
  routes.all('/status', admin(methodNotAllowed('GET')));
  routes.all('/services', admin(methodNotAllowed('GET')));

  // The probes stay open: an orchestrator has no token.
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', (c) => {
    const notReady = hub.notReady();
    return notReady ? errorResponse(notReady) : c.json({ status: 'ready' });
  });
  routes.all('/healthz', methodNotAllowed('GET'));
  routes.all('/readyz', methodNotAllowed('GET'));
  return routes;
}

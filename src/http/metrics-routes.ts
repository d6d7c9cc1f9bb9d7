import { Hono } from 'hono';
import type { HubMetrics } from '../telemetry/hub-metrics.js';
import type { Access } from './access.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** `GET /metrics`: the Prometheus exposition (docs/metrics.md); the admin token when auth is on. */
export function metricsRoutes(metrics: HubMetrics, access: Access): Hono {
  const routes = new Hono();
  routes.get(
    '/metrics',
    access.guard('admin', [], async (c) => {
      const { contentType, body } = await metrics.text();
      return c.body(body, 200, { 'content-type': contentType });
    }),
  );
  routes.all('/metrics', access.guard('admin', [], methodNotAllowed('GET')));
  return routes;
}

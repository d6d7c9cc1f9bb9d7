import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import type { Access } from './access.js';
import { answerRoutes, heldService } from './answer-routes.js';
import type { AppOptions } from './app.js';
import { leaseRoutes } from './lease-routes.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { resultRoutes } from './result-routes.js';

/**
 * `/jobs`: workers' answers and leases by delivery id, callers' async results by
 * job id. Every route names its id `:id`: Hono's RegExpRouter needs one name per
 * position, and with two it falls back to its TrieRouter, which cost the plain
 * worker path about a tenth of its throughput (test/http/app.test.ts keeps it).
 */
export function jobRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  routes.route('/', answerRoutes(hub, options, access));
  routes.route('/', leaseRoutes(hub, access));
  routes.route('/', resultRoutes(hub, access));

  // After the routes above, so theirs match first: a known path, another method.
  const held = [heldService(hub)];
  const refuse = (path: string, ...allowed: string[]) =>
    routes.all(path, access.guard('worker', held, methodNotAllowed(...allowed)));
  refuse('/', 'POST');
  refuse('/:id', 'GET', 'POST');
  refuse('/:id/response', 'POST');
  refuse('/:id/heartbeat', 'POST');
  refuse('/:id/fail', 'POST');
  return routes;
}

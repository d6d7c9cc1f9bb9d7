import type { Hono } from 'hono';
import { uiFileRoutes } from './ui-files.js';

/**
 * The events catalogue's page (docs/events-protocol.md): `GET /events/docs`
 * and its script, open to anyone since they hold no data; the page reads
 * `GET /events/docs.json` (any known token when auth is on). Served whether
 * or not metrics are on, unlike the dashboard.
 */
export function eventPageRoutes(): Hono {
  return uiFileRoutes({
    '/events/docs': ['events.html', 'text/html; charset=utf-8'],
    '/ui/events.js': ['events.js', 'text/javascript; charset=utf-8'],
  });
}

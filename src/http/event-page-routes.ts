import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** The catalogue page's files, in `ui/` beside the dashboard's, read once. */
const PAGE_FILES = {
  '/events/docs': ['events.html', 'text/html; charset=utf-8'],
  '/ui/events.js': ['events.js', 'text/javascript; charset=utf-8'],
} as const;

/**
 * The events catalogue's page (docs/events-protocol.md): `GET /events/docs`
 * and its script, open to anyone since they hold no data; the page reads
 * `GET /events/docs.json` (any known token when auth is on). Served whether
 * or not metrics are on, unlike the dashboard.
 */
export function eventPageRoutes(): Hono {
  const routes = new Hono();
  for (const [path, [file, contentType]] of Object.entries(PAGE_FILES)) {
    const body = readFileSync(new URL(`../../ui/${file}`, import.meta.url), 'utf8');
    routes.get(path, (c) =>
      c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-cache' }),
    );
  }
  return routes;
}

import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { DASHBOARD_EVENTS_PATH } from '../protocol.js';
import type { LiveStats } from '../telemetry/live-stats.js';
import type { Access } from './access.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { errorResponse } from './response.js';
import { type UiFiles, uiFileRoutes } from './ui-files.js';

/** How often the dashboard's stream sends a snapshot. */
const SNAPSHOT_EVERY_MS = 1000;

/** Event streams open at once; more are refused (503 `hub_full`), so no client can pile them up. */
export const MAX_EVENT_STREAMS = 100;

/** The page's files. */
const PAGE_FILES: UiFiles = {
  '/ui': ['dashboard.html', 'text/html; charset=utf-8'],
  '/ui/dashboard.js': ['dashboard.js', 'text/javascript; charset=utf-8'],
  '/ui/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
};

/**
 * The live dashboard (docs/dashboard.md): `GET /ui` and its two files, open to
 * anyone since they hold no data, and `GET /ui/events`, the server-sent events
 * the page draws, one snapshot a second, behind the admin token when auth is
 * on. `GET /` sends a browser to `/ui`.
 */
export function dashboardRoutes(hub: Hub, stats: LiveStats, access: Access): Hono {
  const routes = uiFileRoutes(PAGE_FILES);
  // One snapshot a second, whoever is watching: many pages cost one status read
  // and one serialization, and share the text.
  let latest: { at: number; text: Promise<string> } | undefined;
  const current = () => {
    const now = Date.now();
    if (!latest || now - latest.at >= SNAPSHOT_EVERY_MS / 2) {
      latest = { at: now, text: snapshot(hub, stats).then((s) => JSON.stringify(s)) };
    }
    return latest.text;
  };
  let streams = 0;
  routes.get('/', (c) => c.redirect('/ui', 302));
  routes.get(
    DASHBOARD_EVENTS_PATH,
    access.guard('admin', [], (c) => {
      if (streams >= MAX_EVENT_STREAMS) {
        return errorResponse(
          new HubError(ErrorCode.HubFull, `at most ${MAX_EVENT_STREAMS} dashboards watch at once`),
        );
      }
      streams++;
      return streamSSE(c, async (stream) => {
        try {
          // Until the page goes away, or the hub shuts down (the stream must not hold it open).
          while (!stream.aborted && !hub.shuttingDown) {
            await stream.writeSSE({ event: 'snapshot', data: await current() });
            await stream.sleep(SNAPSHOT_EVERY_MS);
          }
        } finally {
          streams--;
        }
      });
    }),
  );
  for (const path of Object.keys(PAGE_FILES)) routes.all(path, methodNotAllowed('GET'));
  routes.all(DASHBOARD_EVENTS_PATH, access.guard('admin', [], methodNotAllowed('GET')));
  return routes;
}

/** What the page shows: `/status` and `/services` per service, and the last minute's throughput and latency. */
async function snapshot(hub: Hub, stats: LiveStats) {
  const [status, details, webhooks] = await Promise.all([
    hub.status(),
    hub.services(),
    hub.webhooks.deadLetterSummary(),
  ]);
  const minutes = new Map(stats.lastMinute().map((m) => [m.service, m]));
  const oldest = new Map(details.map((d) => [d.service, d.oldestQueuedMs]));
  return {
    at: Date.now(),
    ready: status.ready,
    store: status.store,
    replica: status.replica,
    webhooks,
    services: status.services.map((s) => ({
      ...s,
      oldestQueuedMs: oldest.get(s.service) ?? 0,
      lastMinute: minutes.get(s.service) ?? null,
    })),
  };
}

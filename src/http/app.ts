import { Hono } from 'hono';
import { loadTokens } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { failureReply } from '../exchange/error-status.js';
import { type Exchange, type ExchangeOptions, exchangeTable } from '../exchange/table.js';
import { WS_PATH } from '../protocol.js';
import { HubMetrics } from '../telemetry/hub-metrics.js';
import { JobLog } from '../telemetry/job-log.js';
import { LiveStats } from '../telemetry/live-stats.js';
import { Access } from './access.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { eventPageRoutes } from './event-page-routes.js';
import { healthRoutes } from './health-routes.js';
import { addExchanges } from './hono-exchange.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { metricsRoutes } from './metrics-routes.js';
import { openApiRoutes } from './openapi-routes.js';
import { errorResponse, toResponse } from './response.js';
import { SHARED_UI_FILES, uiFileRoutes } from './ui-files.js';

export interface AppOptions extends ExchangeOptions {
  /** Services labelled in `GET /metrics`, the rest `other`; 0: no metrics (docs/metrics.md). */
  readonly metricsMaxServices: number;
  /** The WebSocket channel's limits (docs/websocket.md). */
  readonly wsMaxCredit: number;
  readonly wsMaxInFlight: number;
  readonly wsMaxSockets: number;
  readonly wsMaxSocketsPerToken: number;
  readonly wsMaxFrameBytes: number;
  /** How long a client has to send its headers; a WebSocket, its auth frame. */
  readonly headersTimeoutMs: number;
  /** Bearer tokens: a file, or the JSON inline; both empty turns auth off. */
  readonly authFile: string;
  readonly authTokens: string;
}

/**
 * The hub's HTTP API as a Hono app: test it with `app.request()`, serve it with
 * `startServer`. Throws `ConfigError` for malformed auth settings.
 */
export function createApp(
  hub: Hub,
  options: AppOptions,
  access: Access = new Access(loadTokens(options)),
  table: readonly Exchange[] = exchangeTable(hub, options),
): Hono {
  const app = new Hono();
  // Before the table: `PUT /events/docs` is an exchange, and the page is its GET.
  app.route('/', eventPageRoutes());
  app.route('/', uiFileRoutes(SHARED_UI_FILES));
  addExchanges(app, table, access);
  app.route('/', healthRoutes(hub, access));
  app.route('/', openApiRoutes());
  hub.observe(new JobLog());
  if (options.metricsMaxServices > 0) {
    const metrics = new HubMetrics(hub, { maxServices: options.metricsMaxServices });
    const live = new LiveStats({ maxServices: options.metricsMaxServices });
    hub.observe(metrics);
    hub.observe(live);
    app.route('/', metricsRoutes(metrics, access));
    app.route('/', dashboardRoutes(hub, live, access));
  }
  // The upgrade itself never reaches the app (ws-upgrade.ts): this answers the
  // requests to /ws that do not ask for one.
  app.get(
    WS_PATH,
    access.guard('any', [], () =>
      errorResponse(
        new HubError(
          ErrorCode.InvalidHeader,
          `GET ${WS_PATH} opens a WebSocket: send Upgrade: websocket`,
        ),
      ),
    ),
  );
  app.all(WS_PATH, access.guard('any', [], methodNotAllowed('GET')));
  // With auth on, only an operator learns which paths do not exist.
  app.notFound(
    async (c) =>
      (await access.refusal(c, 'admin')) ??
      errorResponse(new HubError(ErrorCode.NotFound, `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((error) => toResponse(failureReply(error)));
  return app;
}

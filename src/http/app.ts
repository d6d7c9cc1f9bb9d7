import { Hono } from 'hono';
import { loadTokens } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import { log } from '../log.js';
import { WS_PATH } from '../protocol.js';
import { HubMetrics } from '../telemetry/hub-metrics.js';
import { JobLog } from '../telemetry/job-log.js';
import { LiveStats } from '../telemetry/live-stats.js';
import { Access } from './access.js';
import { callRoutes } from './call-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { errorReply, errorResponse } from './error-status.js';
import { healthRoutes } from './health-routes.js';
import { jobRoutes } from './job-routes.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { metricsRoutes } from './metrics-routes.js';
import { openApiRoutes } from './openapi-routes.js';
import { type Reply, toResponse } from './reply.js';
import { serviceRoutes } from './service-routes.js';

export interface AppOptions {
  /** Largest request or answer body, in bytes. */
  readonly maxBodyBytes: number;
  /** Request headers that, with the token, give each caller its own idempotency keys. */
  readonly idempotencyScopeHeaders: readonly string[];
  /** `astrohub`: every job's body as base64, any call body carried as bytes (docs/astrohub.md). */
  readonly compat: '' | 'astrohub';
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
): Hono {
  const app = new Hono();
  app.route('/service', serviceRoutes(hub, options, access));
  app.route('/call', callRoutes(hub, options, access));
  app.route('/jobs', jobRoutes(hub, options, access));
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

/** The response to a request whose handler threw. */
export function failureReply(error: unknown): Reply {
  // A HubError is an answer; anything else is a bug worth a stack trace.
  if (!isHubError(error)) log.error({ err: error }, 'a request failed inside the hub');
  return errorReply(error);
}

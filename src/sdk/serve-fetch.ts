import { HubWorker, type HubWorkerOptions } from './worker.js';

/** A fetch-style handler: Hono's `app.fetch`, or any `(Request) => Response`. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ServeFetchOptions
  extends Omit<HubWorkerOptions, 'url' | 'services' | 'handler' | 'exactBodies'> {
  /** The hub's base URL. @example 'http://127.0.0.1:8080' */
  readonly hub: string;
  /** The service this handler answers for. */
  readonly service: string;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * Serves a fetch handler through the hub, opening no port: each job becomes a
 * `Request` (method, path, query, forwarded headers, exact body bytes), and the
 * handler's `Response` becomes the answer (status, headers, body). Returns the
 * started worker; `await worker.stop()` ends it gracefully.
 *
 * @example
 * const app = new Hono().get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
 * const worker = serveFetch(app.fetch, { hub: 'http://127.0.0.1:8080', service: 'users' });
 * // GET http://127.0.0.1:8080/call/users/users/42 → {"id":"42"}
 */
export function serveFetch(handler: FetchHandler, options: ServeFetchOptions): HubWorker {
  const { hub, service, ...workerOptions } = options;
  return new HubWorker({
    ...workerOptions,
    url: hub,
    services: service,
    exactBodies: true,
    handler: (job, { signal }) => {
      const url = `http://${service}${job.path}${job.query ? `?${job.query}` : ''}`;
      const headers = new Headers(job.headers);
      if (job.contentType !== undefined) headers.set('content-type', job.contentType);
      const init: RequestInit = { method: job.method, headers, signal };
      if (!BODYLESS_METHODS.has(job.method)) init.body = job.body;
      return handler(new Request(url, init));
    },
  }).start();
}

import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { encodeJob, Header } from '../protocol.js';
import { limitBody } from './body-limit.js';
import { callAndRespond } from './call-handler.js';
import { parseMilliseconds } from './headers.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** `/service/:name` (callers, AstroHub's form) and `/service/:name/jobs` (workers). */
export function serviceRoutes(hub: Hub, limits: { maxBodyBytes: number }): Hono {
  const routes = new Hono();

  routes.post('/:name', limitBody(limits.maxBodyBytes), (c) =>
    callAndRespond(hub, c, c.req.param('name'), { path: '/', strictJson: true }),
  );
  routes.all('/:name', methodNotAllowed('POST'));

  routes.get('/:name/jobs', async (c) => {
    const timeoutMs = parseMilliseconds(
      c.req.header(Header.Timeout) ?? c.req.query('timeout'),
      'Hub-Timeout (or ?timeout)',
    );
    const base64 = wantsBase64(c.req.query('encoding'));
    const job = await hub.take({ service: c.req.param('name'), timeoutMs }, c.req.raw.signal);
    if (!job) return c.body(null, 204);
    return new Response(encodeJob(job, { base64 }), {
      headers: { 'content-type': 'application/json' },
    });
  });
  routes.all('/:name/jobs', methodNotAllowed('GET'));

  return routes;
}

function wantsBase64(encoding: string | undefined): boolean {
  if (encoding === undefined) return false;
  if (encoding === 'base64') return true;
  throw new HubError(
    ErrorCode.InvalidEncoding,
    `?encoding accepts only 'base64', got '${encoding.slice(0, 40)}'`,
  );
}

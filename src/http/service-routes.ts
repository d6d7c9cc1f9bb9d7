import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Hub } from '../core/hub.js';
import { type Answer, BODYLESS_STATUSES } from '../core/types.js';
import { ErrorCode, HubError } from '../errors.js';
import { encodeJob, Header } from '../protocol.js';
import { readCallPayload } from './call-payload.js';
import { parseMilliseconds } from './headers.js';
import { methodNotAllowed } from './method-not-allowed.js';

/** `/service/:name` (callers) and `/service/:name/jobs` (workers). */
export function serviceRoutes(hub: Hub, limits: { maxBodyBytes: number }): Hono {
  const routes = new Hono();

  routes.post('/:name', limitBody(limits.maxBodyBytes), async (c) => {
    const timeoutMs = parseMilliseconds(c.req.header(Header.Timeout), 'Hub-Timeout');
    const payload = await readCallPayload(c);
    const answer = await hub.call(
      { service: c.req.param('name'), payload, timeoutMs },
      c.req.raw.signal,
    );
    return answerResponse(answer);
  });
  routes.all('/:name', methodNotAllowed('POST'));

  routes.get('/:name/jobs', async (c) => {
    const timeoutMs = parseMilliseconds(
      c.req.header(Header.Timeout) ?? c.req.query('timeout'),
      'Hub-Timeout (or ?timeout)',
    );
    const job = await hub.take({ service: c.req.param('name'), timeoutMs }, c.req.raw.signal);
    if (!job) return c.body(null, 204);
    return new Response(encodeJob(job), { headers: { 'content-type': 'application/json' } });
  });
  routes.all('/:name/jobs', methodNotAllowed('GET'));

  return routes;
}

/** The caller's response is the worker's answer: its status, its content type, its bytes. */
function answerResponse(answer: Answer): Response {
  // An empty Uint8Array still gets Content-Length: 0; bodyless statuses need a null body.
  return new Response(BODYLESS_STATUSES.has(answer.status) ? null : answer.body, {
    status: answer.status,
    headers: { 'content-type': answer.contentType ?? 'application/octet-stream' },
  });
}

/**
 * Hono's body limit trusts Content-Length (Node's parser never reads past it) and
 * counts the bytes of chunked bodies as they stream in.
 */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HubError(ErrorCode.PayloadTooLarge, `the body is larger than ${maxBytes} bytes`);
    },
  });
}

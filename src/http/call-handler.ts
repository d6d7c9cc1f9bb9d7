import type { Context } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Answer, BODYLESS_STATUSES } from '../core/types.js';
import { Header } from '../protocol.js';
import { type PayloadOptions, readCallPayload } from './call-payload.js';
import { parseMilliseconds } from './headers.js';

/** Parks an HTTP caller on `service` and turns the worker's answer into its response. */
export async function callAndRespond(
  hub: Hub,
  c: Context,
  service: string,
  options: PayloadOptions,
): Promise<Response> {
  const timeoutMs = parseMilliseconds(c.req.header(Header.Timeout), 'Hub-Timeout');
  const payload = await readCallPayload(c, options);
  const answer = await hub.call({ service, payload, timeoutMs }, c.req.raw.signal);
  return answerResponse(answer);
}

/** The caller's response is the worker's answer: its status, its headers, its bytes. */
function answerResponse(answer: Answer): Response {
  // An empty Uint8Array still gets Content-Length: 0; bodyless statuses need a null body.
  return new Response(BODYLESS_STATUSES.has(answer.status) ? null : answer.body, {
    status: answer.status,
    headers: {
      ...answer.headers,
      'content-type': answer.contentType ?? 'application/octet-stream',
    },
  });
}

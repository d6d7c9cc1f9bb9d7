import type { Context } from 'hono';
import type { Hub } from '../core/hub.js';
import { type Answer, BODYLESS_STATUSES } from '../core/types.js';
import { Header } from '../protocol.js';
import type { BodySizeCheck } from './body-limit.js';
import { type PayloadOptions, readCallPayload } from './call-payload.js';
import { parseCount, parseMilliseconds, parseQueueWithoutWorkers } from './headers.js';
import { RequestHeaders } from './request-headers.js';

/** Parks an HTTP caller on `service` and turns the worker's answer into its response. */
export async function callAndRespond(
  hub: Hub,
  c: Context,
  service: string,
  options: PayloadOptions & { checkBody: BodySizeCheck },
): Promise<Response> {
  const headers = new RequestHeaders(c);
  const counting = options.checkBody(c, headers);
  if (counting) await counting;
  const timeoutMs = parseMilliseconds(headers.get(Header.Timeout), 'Hub-Timeout');
  const queueTimeoutMs = parseMilliseconds(headers.get(Header.QueueTimeout), 'Hub-Queue-Timeout');
  const maxAttempts = parseCount(headers.get(Header.MaxAttempts), 'Hub-Max-Attempts');
  const queueWithoutWorkers = parseQueueWithoutWorkers(headers.get(Header.NoWorkers));
  const payload = await readCallPayload(c, headers, options);
  const answer = await hub.call(
    { service, payload, timeoutMs, queueTimeoutMs, maxAttempts, queueWithoutWorkers },
    c.req.raw.signal,
  );
  return answerResponse(answer);
}

/** The caller's response is the worker's answer: its status, its headers, its bytes. */
function answerResponse(answer: Answer): Response {
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.contentType !== undefined) headers['content-type'] = answer.contentType;
  if (answer.body.byteLength === 0) {
    // Say the length, or Node would frame an empty body as chunked.
    if (!BODYLESS_STATUSES.has(answer.status)) headers['content-length'] = '0';
    return new Response(null, { status: answer.status, headers });
  }
  headers['content-type'] ??= 'application/octet-stream';
  return new Response(answer.body, { status: answer.status, headers });
}

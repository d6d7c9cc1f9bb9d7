import type { Context } from 'hono';
import type { Hub, JobResult } from '../core/hub.js';
import { type Answer, BODYLESS_STATUSES } from '../core/types.js';
import { Header } from '../protocol.js';
import type { BodySizeCheck } from './body-limit.js';
import { type PayloadOptions, readCallPayload } from './call-payload.js';
import { errorResponse } from './error-status.js';
import {
  parseCount,
  parseIdempotencyKey,
  parseMilliseconds,
  parsePrefer,
  parseQueueWithoutWorkers,
} from './headers.js';
import { requestGone } from './request-gone.js';
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
  const idempotencyKey = parseIdempotencyKey(headers.get(Header.IdempotencyKey));
  const prefer = headers.get(Header.Prefer);
  const payload = await readCallPayload(c, headers, options);
  const input = {
    service,
    payload,
    timeoutMs,
    queueTimeoutMs,
    maxAttempts,
    queueWithoutWorkers,
    idempotencyKey,
  };
  const preferences = prefer === undefined ? undefined : parsePrefer(prefer);
  if (preferences?.respondAsync) {
    const id = await hub.submit(input);
    const waitMs = Math.min(preferences.waitMs ?? 0, timeoutMs ?? Number.POSITIVE_INFINITY);
    const result = await hub.result(id, Math.min(waitMs, hub.maxResultWaitMs), requestGone(c));
    return resultResponse(id, result);
  }
  return answerResponse(await hub.call(input, requestGone(c)));
}

/**
 * An async job's response: once it has ended, exactly what a synchronous caller
 * would have got; before that, 202 with where it is and where to ask again.
 */
export function resultResponse(id: string, result: JobResult): Response {
  if (result.state === 'done') {
    const { outcome } = result;
    return 'answer' in outcome ? answerResponse(outcome.answer) : errorResponse(outcome.error);
  }
  return new Response(JSON.stringify({ id, state: result.state }), {
    status: 202,
    headers: {
      'content-type': 'application/json',
      location: `/jobs/${id}`,
      'preference-applied': 'respond-async',
      'retry-after': '1',
    },
  });
}

/** The caller's response is the worker's answer: its status, its headers, its bytes. */
export function answerResponse(answer: Answer): Response {
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

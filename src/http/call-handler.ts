import { createHash } from 'node:crypto';
import type { Grant } from '../auth.js';
import type { Hub, JobResult } from '../core/hub.js';
import { type Answer, BODYLESS_STATUSES } from '../domain/job.js';
import { isHubError } from '../errors.js';
import { Header } from '../protocol.js';
import { type BodySizeCheck, bodySizeCheck } from './body-limit.js';
import { type PayloadOptions, readCallPayload } from './call-payload.js';
import { errorReply } from './error-status.js';
import {
  parseCount,
  parseIdempotencyKey,
  parseMilliseconds,
  parsePrefer,
  parseQueueWithoutWorkers,
} from './header-parsers.js';
import type { HubRequest } from './hub-request.js';
import type { Reply } from './reply.js';
import type { RequestHeaders } from './request-headers.js';

/** What every call route shares: its body limit and the headers that scope idempotency keys. */
export interface CallRouteOptions {
  readonly checkBody: BodySizeCheck;
  readonly scopeHeaders: readonly string[];
}

export function callRouteOptions(options: {
  maxBodyBytes: number;
  idempotencyScopeHeaders: readonly string[];
}): CallRouteOptions {
  return {
    checkBody: bodySizeCheck(options.maxBodyBytes),
    scopeHeaders: options.idempotencyScopeHeaders,
  };
}

/**
 * Parks an HTTP caller on `service` and turns the worker's answer into its
 * response. The body's size was checked with `CallRouteOptions.checkBody`.
 */
export async function callReply(
  hub: Hub,
  request: HubRequest,
  service: string,
  options: PayloadOptions & { readonly scopeHeaders: readonly string[] },
): Promise<Reply> {
  const { headers } = request;
  const timeoutMs = parseMilliseconds(headers.get(Header.Timeout), 'Hub-Timeout');
  const queueTimeoutMs = parseMilliseconds(headers.get(Header.QueueTimeout), 'Hub-Queue-Timeout');
  const maxAttempts = parseCount(headers.get(Header.MaxAttempts), 'Hub-Max-Attempts');
  const queueWithoutWorkers = parseQueueWithoutWorkers(headers.get(Header.NoWorkers));
  const idempotencyKey = parseIdempotencyKey(headers.get(Header.IdempotencyKey));
  const prefer = headers.get(Header.Prefer);
  const payload = await readCallPayload(request, options);
  const input = {
    service,
    payload,
    timeoutMs,
    queueTimeoutMs,
    maxAttempts,
    queueWithoutWorkers,
    idempotencyKey,
    idempotencyScope:
      idempotencyKey === undefined
        ? undefined
        : idempotencyScope(request.grant, headers, options.scopeHeaders),
  };
  const preferences = prefer === undefined ? undefined : parsePrefer(prefer);
  const flow = { [Header.FlowId]: payload.flowId };
  try {
    if (preferences?.respondAsync) {
      const waitMs = Math.min(preferences.waitMs ?? 0, timeoutMs ?? Number.POSITIVE_INFINITY);
      const { id, result } = await hub.submitAndWait(input, waitMs, request.gone());
      return resultReply(id, result, flow);
    }
    return answeredCallReply(await hub.call(input, request.gone()), flow);
  } catch (error) {
    // The caller learns its flow id on errors too ([P-FLOW]).
    if (isHubError(error)) return errorReply(error, flow);
    throw error;
  }
}

/**
 * Whose idempotency keys a call's key lives among ([P-IDEMPOTENCY]): the token's
 * when auth is on, else the caller's own `Authorization` (a gateway's end user),
 * and the values of the configured identity headers (`X-User-Id`), so two users
 * behind one gateway never share a key. A digest: credentials are not kept.
 */
function idempotencyScope(
  grant: Grant | undefined,
  headers: RequestHeaders,
  scopeHeaders: readonly string[],
): string {
  const hash = createHash('sha256');
  hash.update(
    grant ? `token ${grant.name}` : `authorization ${headers.get('authorization') ?? ''}`,
  );
  for (const name of scopeHeaders) hash.update(`\n${name} ${headers.get(name) ?? ''}`);
  return hash.digest('base64url');
}

/**
 * An async job's response: once it has ended, exactly what a synchronous caller
 * would have got; before that, 202 with where it is and where to ask again.
 */
export function resultReply(
  id: string,
  result: JobResult,
  extraHeaders: Record<string, string> = {},
): Reply {
  if (result.state === 'done') {
    const { outcome } = result;
    return 'answer' in outcome
      ? answeredCallReply(outcome.answer, extraHeaders)
      : errorReply(outcome.error, extraHeaders);
  }
  return {
    status: 202,
    body: JSON.stringify({ id, state: result.state }),
    headers: {
      ...extraHeaders,
      'content-type': 'application/json',
      location: `/jobs/${id}`,
      'preference-applied': 'respond-async',
      'retry-after': '1',
    },
  };
}

/** The caller's response is the worker's answer: its status, its headers, its bytes. */
function answeredCallReply(answer: Answer, extraHeaders: Record<string, string> = {}): Reply {
  // The hub's own headers first: a worker's answer cannot set Hub-* headers.
  const headers: Record<string, string> = { ...extraHeaders };
  let cookies: readonly string[] | undefined;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (name === 'set-cookie') cookies = value;
    else headers[name] = value.join(', ');
  }
  if (answer.contentType !== undefined) headers['content-type'] = answer.contentType;
  const empty = answer.body.byteLength === 0;
  // Say the length, or Node would frame an empty body as chunked.
  if (empty && !BODYLESS_STATUSES.has(answer.status)) headers['content-length'] = '0';
  if (!empty) headers['content-type'] ??= 'application/octet-stream';
  return {
    status: answer.status,
    headers: withCookies(headers, cookies),
    body: empty ? null : answer.body,
  };
}

/**
 * Each of a worker's cookies must reach the caller as its own `Set-Cookie` line
 * (cookies cannot be joined with commas), which a plain record cannot say; only
 * then do the headers become pairs. The plain record is the common case and the
 * fast one: Node takes it as it is.
 */
function withCookies(
  headers: Record<string, string>,
  cookies: readonly string[] | undefined,
): Reply['headers'] {
  if (cookies === undefined) return headers;
  return [...Object.entries(headers), ...cookies.map((c) => ['set-cookie', c] as const)];
}

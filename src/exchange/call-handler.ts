import { createHash } from 'node:crypto';
import type { Grant } from '../auth.js';
import type { Hub, JobResult } from '../core/hub.js';
import type { CallInput } from '../core/hub-types.js';
import { type Answer, BODYLESS_STATUSES, type CallPayload } from '../domain/job.js';
import { isHubError } from '../errors.js';
import { Header, UNJOINABLE_HEADER } from '../protocol.js';
import type { PayloadOptions } from './call-payload.js';
import { readCallPayload } from './call-payload.js';
import { errorReply } from './error-status.js';
import {
  parseCount,
  parseIdempotencyKey,
  parseMilliseconds,
  parsePrefer,
  parseQueueWithoutWorkers,
} from './header-parsers.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';
import type { RequestHeaders } from './request-headers.js';

/**
 * Parks a caller on `service` and turns the worker's answer into its response.
 * The body's size was checked before.
 */
export async function callReply(
  hub: Hub,
  request: ExchangeRequest,
  service: string,
  options: PayloadOptions & { readonly scopeHeaders: readonly string[] },
): Promise<Reply> {
  const settings = callSettings(request, options.scopeHeaders);
  const payload = await readCallPayload(request, options);
  const input = callInput(service, payload, settings);
  const { preferences } = settings;
  const flow = { [Header.FlowId]: payload.flowId };
  try {
    if (preferences?.respondAsync) {
      const waitMs = Math.min(
        preferences.waitMs ?? 0,
        settings.timeoutMs ?? Number.POSITIVE_INFINITY,
      );
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

/** What a call's headers ask of it, read before its body. */
export type CallSettings = ReturnType<typeof callSettings>;

/**
 * A call's input, field by field: built with a spread (`{ ...settings, service,
 * payload }`) it cost the SDK worker's path about 30 µs of the hub's CPU per
 * call (141 → 162-173 µs at C=16), the object V8 made of it being slow to read.
 */
export function callInput(
  service: string,
  payload: CallPayload,
  settings: CallSettings,
  requireWorkers?: boolean,
): CallInput {
  return {
    service,
    payload,
    timeoutMs: settings.timeoutMs,
    queueTimeoutMs: settings.queueTimeoutMs,
    maxAttempts: settings.maxAttempts,
    queueWithoutWorkers: settings.queueWithoutWorkers,
    idempotencyKey: settings.idempotencyKey,
    idempotencyScope: settings.idempotencyScope,
    requireWorkers,
  };
}

/** What a call's headers ask of it (`Hub-Timeout`, `Prefer`…), read before its body. */
export function callSettings(request: ExchangeRequest, scopeHeaders: readonly string[]) {
  const { headers } = request;
  const idempotencyKey = parseIdempotencyKey(headers.get(Header.IdempotencyKey));
  const prefer = headers.get(Header.Prefer);
  return {
    timeoutMs: parseMilliseconds(headers.get(Header.Timeout), 'Hub-Timeout'),
    queueTimeoutMs: parseMilliseconds(headers.get(Header.QueueTimeout), 'Hub-Queue-Timeout'),
    maxAttempts: parseCount(headers.get(Header.MaxAttempts), 'Hub-Max-Attempts'),
    queueWithoutWorkers: parseQueueWithoutWorkers(headers.get(Header.NoWorkers)),
    idempotencyKey,
    idempotencyScope:
      idempotencyKey === undefined
        ? undefined
        : idempotencyScope(request.grant, headers, scopeHeaders),
    preferences: prefer === undefined ? undefined : parsePrefer(prefer),
  };
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

/**
 * The caller's response is the worker's answer: its status, its headers, its
 * bytes. Its headers as Node's raw list: one is built for every call, and a
 * record built key by key cost ten times as much (1.3 against 0.11 µs). Each
 * of a worker's cookies is its own `Set-Cookie` line (cookies cannot be joined
 * with commas); no other name can repeat, since a worker cannot return Hub-*
 * headers, its content type or its length (protocol.ts).
 */
function answeredCallReply(answer: Answer, extraHeaders: Record<string, string> = {}): Reply {
  // The hub's own headers first.
  const raw: string[] = [];
  for (const name in extraHeaders) raw.push(name, extraHeaders[name] as string);
  const returned = answer.headers;
  for (const name in returned) {
    const value = returned[name] as string | readonly string[];
    if (typeof value === 'string') raw.push(name, value);
    else if (name === UNJOINABLE_HEADER) for (const line of value) raw.push(name, line);
    else raw.push(name, value.join(', '));
  }
  const empty = answer.body.byteLength === 0;
  if (answer.contentType !== undefined) raw.push('content-type', answer.contentType);
  else if (!empty) raw.push('content-type', 'application/octet-stream');
  // Say the length, or Node would frame an empty body as chunked.
  if (empty && !BODYLESS_STATUSES.has(answer.status)) raw.push('content-length', '0');
  return { status: answer.status, headers: raw, body: empty ? null : answer.body };
}

/** `GET /jobs/:id?wait=`: an async call's result ([P-ASYNC]), by its job id. */
export async function resultLookupReply(hub: Hub, request: ExchangeRequest): Promise<Reply> {
  const jobId = request.param('id') ?? '';
  const waitMs = parseMilliseconds(request.query('wait'), '?wait') ?? 0;
  return resultReply(jobId, await hub.result(jobId, waitMs, request.gone()));
}

const GATEWAY_PREFIX = '/call/';

/** A `/call` request's options: the path below the service, and any body carried as it came. */
export function gatewayCall<T>(call: T, target: string): T & PayloadOptions {
  return { ...call, path: pathBelowService(target), strictJson: false };
}

/**
 * `/call/users/42/posts?x=1` → `/42/posts`; `/call/users` → `/`. Kept
 * percent-encoded, as the client sent it (Hono's `c.req.path` is decoded).
 */
function pathBelowService(target: string): string {
  const query = target.indexOf('?');
  const rest = target.slice(GATEWAY_PREFIX.length, query === -1 ? undefined : query);
  const slash = rest.indexOf('/');
  return slash === -1 ? '/' : rest.slice(slash);
}

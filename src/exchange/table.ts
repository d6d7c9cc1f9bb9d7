import type { Hub } from '../core/hub.js';
import { BATCH_FRAMING_BYTES, MAX_FAILURE_BYTES } from '../protocol.js';
import { answerBatchReply, answerReply } from './answer-handler.js';
import { type AccessRule, pathService, type ServiceOf } from './authorize.js';
import { callReply, gatewayCall, resultLookupReply } from './call-handler.js';
import { catalogueReply, documentEventsReply } from './event-catalogue.js';
import { eventReply } from './event-handlers.js';
import { failReply, heartbeatReply } from './lease-handlers.js';
import { pollReply } from './poll-handler.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';
import {
  publishReply,
  topicDeleteReply,
  topicGetReply,
  topicListReply,
  topicPatchReply,
} from './topic-handlers.js';
import {
  addWebhookReply,
  danketsuReply,
  danketsuStatusReply,
  deadLettersReply,
  replayReply,
  webhookDeleteReply,
  webhookListReply,
} from './webhook-handlers.js';

/** What the exchanges read of the hub's configuration. */
export interface ExchangeOptions {
  /** Largest call or answer body, in bytes. */
  readonly maxBodyBytes: number;
  /** Request headers that, with the token, give each caller its own idempotency keys. */
  readonly idempotencyScopeHeaders: readonly string[];
  /** `astrohub`: every job's body as base64, any call body carried as bytes (docs/astrohub.md). */
  readonly compat: '' | 'astrohub';
}

/**
 * One exchange of the hub's API: everything about a route but how a channel
 * reads and writes it. The Hono app (http/hono-exchange.ts), the node:http fast
 * path (http/node-routes.ts) and WebSocket request frames (ws/caller-session.ts)
 * are all built from the table below, so a rule of a route is written here once.
 */
export interface Exchange extends AccessRule {
  /** The exchange's name in docs, logs and tests. */
  readonly name: string;
  /** `ALL`: any method (the gateway's `/call`). HEAD is left to the Hono app everywhere. */
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ALL';
  /** Hono's patterns: `:param` is one segment, a trailing `*` the rest of the path. */
  readonly paths: readonly string[];
  /** The largest body in bytes (`payload_too_large` past it); undefined: no body is read. */
  readonly maxBodyBytes: number | undefined;
  readonly handle: (request: ExchangeRequest) => Promise<Reply>;
}

/**
 * The hub's hot exchanges: calls, polls, answers, leases and async results.
 * What is not here (health, metrics, dashboard, OpenAPI) is served by the Hono
 * app alone (http/app.ts). Each `/jobs` pattern names its id `:id`: Hono's
 * RegExpRouter needs one name per position, and with two it falls back to its
 * TrieRouter, which cost the plain worker path about a tenth of its throughput
 * (test/http/app.test.ts keeps it).
 */
export function exchangeTable(hub: Hub, options: ExchangeOptions): readonly Exchange[] {
  const { maxBodyBytes, compat } = options;
  const scopeHeaders = options.idempotencyScopeHeaders;
  // AstroHub carried any body as bytes; here a body that claims JSON must be JSON.
  const strictJson = compat !== 'astrohub';
  /** The service of the job a worker holds under the delivery id `:id`. */
  const heldService: ServiceOf = (req) => hub.serviceOf(req.param('id') ?? '');
  /** `?next=<service>`: the service whose next job an answer also takes. */
  const nextService: ServiceOf = (req) => req.query('next');

  return [
    {
      name: 'call',
      method: 'POST',
      paths: ['/service/:name'],
      role: 'caller',
      services: [pathService('name')],
      maxBodyBytes,
      handle: (request) =>
        callReply(hub, request, request.param('name') ?? '', {
          scopeHeaders,
          path: '/',
          strictJson,
        }),
    },
    {
      name: 'gateway call',
      method: 'ALL',
      paths: ['/call/:service', '/call/:service/*'],
      role: 'caller',
      services: [pathService('service')],
      maxBodyBytes,
      handle: (request) =>
        callReply(
          hub,
          request,
          request.param('service') ?? '',
          gatewayCall({ scopeHeaders }, request.target),
        ),
    },
    {
      name: 'poll',
      method: 'GET',
      paths: ['/service/:name/jobs'],
      role: 'worker',
      services: [pathService('name')],
      maxBodyBytes: undefined,
      handle: (request) => pollReply(hub, request, request.param('name') ?? '', options),
    },
    {
      name: 'answer',
      method: 'POST',
      // AstroHub's test worker spells it `/jobs/:id/response`.
      paths: ['/jobs/:id', '/jobs/:id/response'],
      role: 'worker',
      services: [heldService, nextService],
      maxBodyBytes,
      handle: (request) => answerReply(hub, request, request.param('id') ?? '', options),
    },
    {
      name: 'answer batch',
      method: 'POST',
      paths: ['/jobs'],
      // Each answer's own service is checked in the handler, answer by answer.
      role: 'worker',
      services: [nextService],
      maxBodyBytes: maxBodyBytes + BATCH_FRAMING_BYTES,
      handle: (request) => answerBatchReply(hub, request, options),
    },
    {
      name: 'heartbeat',
      method: 'POST',
      paths: ['/jobs/:id/heartbeat'],
      role: 'worker',
      services: [heldService],
      maxBodyBytes: undefined,
      handle: (request) => heartbeatReply(hub, request),
    },
    {
      name: 'fail',
      method: 'POST',
      paths: ['/jobs/:id/fail'],
      role: 'worker',
      services: [heldService],
      maxBodyBytes: MAX_FAILURE_BYTES,
      handle: (request) => failReply(hub, request),
    },
    {
      name: 'event',
      method: 'POST',
      paths: ['/events'],
      // The service is the envelope's name and version: checked once it is read.
      role: 'caller',
      services: [],
      maxBodyBytes,
      handle: (request) => eventReply(hub, request, scopeHeaders),
    },
    {
      name: 'document events',
      method: 'PUT',
      paths: ['/events/docs'],
      // Each documented service is checked against the token in the handler.
      role: 'worker',
      services: [],
      maxBodyBytes,
      handle: (request) => documentEventsReply(hub, request),
    },
    {
      name: 'event catalogue',
      method: 'GET',
      paths: ['/events/docs.json'],
      role: 'any',
      services: [],
      maxBodyBytes: undefined,
      handle: () => catalogueReply(hub),
    },
    ...topicExchanges(hub, maxBodyBytes),
    ...webhookExchanges(hub, maxBodyBytes),
    {
      name: 'result',
      method: 'GET',
      // A job id, where the worker routes take a delivery id.
      paths: ['/jobs/:id'],
      role: 'caller',
      services: [(req) => hub.resultService(req.param('id') ?? '')],
      maxBodyBytes: undefined,
      handle: (request) => resultLookupReply(hub, request),
    },
  ];
}

/** The largest `PATCH /topics/<t>` body: four settings. */
const MAX_SETTINGS_BYTES = 4096;

/**
 * Topics ([P-TOPIC-*], docs/events.md): msgbus's API under `/topics`, each
 * route's topic checked against the token's `publish` or `subscribe` list.
 */
function topicExchanges(hub: Hub, maxBodyBytes: number): Exchange[] {
  const topic = (request: ExchangeRequest) => request.param('topic') ?? '';
  const publish = { action: 'publish', param: 'topic' } as const;
  const publishing = (method: 'POST' | 'PUT'): Exchange => ({
    name: `publish (${method})`,
    method,
    paths: ['/topics/:topic'],
    role: 'any',
    services: [],
    topic: publish,
    maxBodyBytes,
    handle: (request) => publishReply(hub.topics, request, topic(request)),
  });
  return [
    {
      name: 'topic list',
      method: 'GET',
      paths: ['/topics', '/topics/'],
      role: 'any',
      services: [],
      maxBodyBytes: undefined,
      handle: () => topicListReply(hub.topics),
    },
    publishing('POST'),
    publishing('PUT'),
    {
      name: 'pull',
      method: 'GET',
      paths: ['/topics/:topic'],
      role: 'any',
      services: [],
      topic: { action: 'subscribe', param: 'topic' },
      maxBodyBytes: undefined,
      handle: (request) => topicGetReply(hub.topics, request, topic(request)),
    },
    {
      name: 'topic settings',
      method: 'PATCH',
      paths: ['/topics/:topic'],
      role: 'admin',
      services: [],
      maxBodyBytes: MAX_SETTINGS_BYTES,
      handle: (request) => topicPatchReply(hub.topics, request, topic(request)),
    },
    {
      name: 'topic delete',
      method: 'DELETE',
      paths: ['/topics/:topic'],
      role: 'admin',
      services: [],
      maxBodyBytes: undefined,
      handle: (request) => topicDeleteReply(hub.topics, topic(request)),
    },
  ];
}

/**
 * Webhooks ([P-WEBHOOK-*], [P-DANKETSU], docs/events.md): Danketsu's API under
 * `/danketsu` (each action's topic checked against the token in the handler,
 * where the body names it), the hub's own under `/topics/<t>/webhooks` and
 * `/webhooks` (an operator's).
 */
function webhookExchanges(hub: Hub, maxBodyBytes: number): Exchange[] {
  const id = (request: ExchangeRequest) => request.param('id') ?? '';
  const operator = { role: 'admin', services: [], maxBodyBytes: undefined } as const;
  return [
    {
      name: 'danketsu',
      method: 'POST',
      paths: ['/danketsu/api/v1', '/danketsu/api/v1/'],
      role: 'any',
      services: [],
      maxBodyBytes,
      handle: (request) => danketsuReply(hub, request),
    },
    {
      name: 'danketsu status',
      method: 'GET',
      paths: ['/danketsu/status', '/danketsu/status/'],
      role: 'any',
      services: [],
      maxBodyBytes: undefined,
      handle: () => danketsuStatusReply(hub),
    },
    {
      name: 'add webhook',
      method: 'POST',
      paths: ['/topics/:topic/webhooks'],
      role: 'any',
      services: [],
      topic: { action: 'subscribe', param: 'topic' },
      maxBodyBytes: MAX_SETTINGS_BYTES,
      handle: (request) => addWebhookReply(hub, request, request.param('topic') ?? ''),
    },
    {
      name: 'webhooks',
      method: 'GET',
      paths: ['/webhooks'],
      ...operator,
      handle: () => webhookListReply(hub),
    },
    {
      name: 'delete webhook',
      method: 'DELETE',
      paths: ['/webhooks/:id'],
      ...operator,
      handle: (request) => webhookDeleteReply(hub, id(request)),
    },
    {
      name: 'dead letters',
      method: 'GET',
      paths: ['/webhooks/:id/dead-letters'],
      ...operator,
      handle: (request) => deadLettersReply(hub, id(request)),
    },
    {
      name: 'replay',
      method: 'POST',
      paths: ['/webhooks/:id/replay'],
      ...operator,
      handle: (request) => replayReply(hub, id(request)),
    },
  ];
}

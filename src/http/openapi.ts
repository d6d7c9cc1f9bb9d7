/**
 * The HTTP API as an OpenAPI 3.1 document, served at `GET /openapi.json` and
 * rendered into docs/api.md. Written by hand from docs/protocol.md, and checked
 * against the app itself by test/http/openapi.test.ts: every route, every
 * header of protocol.ts and every error code must be here, and nothing that is
 * not a route.
 */
import { ErrorCode } from '../errors.js';
import {
  Header,
  MAX_SERVICE_NAME_LENGTH,
  RETURNED_HEADER_PREFIX,
  SERVICE_NAME_PATTERN,
} from '../protocol.js';
import { EVENT_PATHS } from './openapi-events.js';
import { errors, header, pathParam, query } from './openapi-parts.js';
import { TOPIC_OPERATION_IDS, TOPIC_PATHS, WEBHOOK_PATHS } from './openapi-topics.js';

type Json = Record<string, unknown>;

const ms = { type: 'integer', minimum: 0 };

const serviceName = pathParam(
  'name',
  `The service: letters, digits, \`.\`, \`_\`, \`-\`, starting with a letter or digit, up to ${MAX_SERVICE_NAME_LENGTH} characters.`,
  { type: 'string', pattern: SERVICE_NAME_PATTERN.source, maxLength: MAX_SERVICE_NAME_LENGTH },
);
const deliveryId = pathParam('id', 'The delivery id: the `id` of the job this worker received.');
const workerHeader = header(Header.Worker, 'How the worker names itself in `GET /services`.');

const callHeaders = [
  header(
    Header.Timeout,
    "Milliseconds to wait for a worker's answer, from 1 to `HUB_MAX_CALL_TIMEOUT_MS` (default `HUB_CALL_TIMEOUT_MS`).",
    { type: 'integer', minimum: 1 },
  ),
  header(
    Header.QueueTimeout,
    "Milliseconds the job may wait for a worker to take it, from 1 to the call's deadline.",
    { type: 'integer', minimum: 1 },
  ),
  header(Header.MaxAttempts, 'Hand-outs allowed, from 1 to `HUB_MAX_ATTEMPTS`.', {
    type: 'integer',
    minimum: 1,
  }),
  header(
    Header.NoWorkers,
    '`queue`: park the call even when no worker has been seen; `fail` (the default): 503 `no_workers` at once.',
    { enum: ['queue', 'fail'] },
  ),
  header(
    Header.IdempotencyKey,
    'Calls with the same key (and request) share one job and its answer.',
  ),
  header(
    Header.Prefer,
    '`respond-async` (202 and a `Location`), optionally with `wait=<seconds>`.',
  ),
  header(
    Header.FlowId,
    'The flow id to follow this call by; else taken from `traceparent`, else made.',
  ),
  header(Header.TraceParent, 'W3C Trace Context: its trace id becomes the flow id.'),
];

const callCodes = [
  // A path that is no route at all: a name with a slash in it, say.
  ErrorCode.NotFound,
  ErrorCode.InvalidServiceName,
  ErrorCode.InvalidTimeout,
  ErrorCode.InvalidHeader,
  ErrorCode.InvalidJson,
  ErrorCode.PayloadTooLarge,
  ErrorCode.Forbidden,
  ErrorCode.IdempotencyKeyReused,
  ErrorCode.QueueFull,
  ErrorCode.NoWorkers,
  ErrorCode.HubFull,
  ErrorCode.ServiceFull,
  ErrorCode.TooManyServices,
  ErrorCode.ShuttingDown,
  ErrorCode.StoreUnavailable,
  ErrorCode.Timeout,
  ErrorCode.QueueTimeout,
  ErrorCode.WorkerFailed,
  ErrorCode.Cancelled,
];

const callResponses = {
  '200': {
    description:
      "The worker's answer: its status (any, 2xx to 5xx), its content type, the headers it returned, its body. Only a response with `Hub-Error` is the hub's own.",
    headers: { [Header.FlowId]: { $ref: '#/components/headers/HubFlowId' } },
    content: { '*/*': {} },
  },
  '202': {
    description:
      'With `Prefer: respond-async`: the job is queued; its answer is at `Location` (`GET /jobs/{id}`).',
    headers: { Location: { schema: { type: 'string' } } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/JobState' } } },
  },
  ...errors(...callCodes),
};

const call = (summary: string, parameters: Json[]): Json => ({
  summary,
  tags: ['callers'],
  parameters: [...parameters, ...callHeaders],
  requestBody: { required: false, content: { '*/*': {} } },
  responses: callResponses,
});

const proxiedCall = (parameters: Json[]) =>
  Object.fromEntries(
    ['get', 'post', 'put', 'patch', 'delete'].map((method) => [
      method,
      call('Any method through the hub: the job carries method, path and query', parameters),
    ]),
  );

const takeParameters = [
  serviceName,
  query('timeout', 'Milliseconds to wait for a job (or `Hub-Timeout`); 0 returns at once.', ms),
  query('max', 'Take up to this many jobs (1-100): the answer is then an array.', {
    type: 'integer',
    minimum: 1,
    maximum: 100,
  }),
  query('encoding', "`base64`: every body as base64, the caller's exact bytes.", {
    enum: ['base64'],
  }),
  header(Header.Timeout, 'The poll wait, as `?timeout`.', ms),
  workerHeader,
];

/** `?next` and its companions: take the next jobs in the same exchange as the answers. */
const nextParameters = [
  query('next', 'Also take the next job of this service in the same exchange.'),
  query('timeout', 'With `next`: how long to wait for it.', ms),
  query('max', 'With `next`: take up to this many.', {
    type: 'integer',
    minimum: 1,
    maximum: 100,
  }),
  query('encoding', 'With `next`: bodies as base64.', { enum: ['base64'] }),
  workerHeader,
];

const answer: Json = {
  summary: "Answer a job: the body is the caller's response body",
  tags: ['workers'],
  parameters: [
    deliveryId,
    header(Header.Status, 'The status the caller gets (200-599; default 200).', {
      type: 'integer',
      minimum: 200,
      maximum: 599,
    }),
    header(
      `${RETURNED_HEADER_PREFIX}{name}`,
      'Each `Hub-Header-<Name>` becomes the response header `<Name>`.',
    ),
    ...nextParameters,
  ],
  requestBody: { content: { '*/*': {} } },
  responses: {
    '200': {
      description: 'Answered; with `next`, the next job (or none: 204).',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } },
    },
    '204': { description: 'Answered, and no next job came within the wait.' },
    ...errors(
      ErrorCode.UnknownJob,
      ErrorCode.AlreadyAnswered,
      ErrorCode.LeaseLost,
      ErrorCode.CallerGone,
      ErrorCode.InvalidStatus,
      ErrorCode.InvalidHeader,
      ErrorCode.InvalidBatch,
      ErrorCode.InvalidTimeout,
      ErrorCode.InvalidEncoding,
      ErrorCode.PayloadTooLarge,
      ErrorCode.Forbidden,
    ),
  },
};

const operator = (summary: string, schema: Json, contentType = 'application/json'): Json => ({
  get: {
    summary,
    tags: ['operators'],
    responses: {
      '200': { description: summary, content: { [contentType]: { schema } } },
      ...errors(ErrorCode.Forbidden, ErrorCode.MethodNotAllowed),
    },
  },
});

const probe = (summary: string, codes: ErrorCode[]): Json => ({
  get: {
    summary,
    tags: ['orchestrators'],
    security: [],
    responses: {
      '200': {
        description: summary,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      ...errors(...codes),
    },
  },
});

const page = (summary: string, contentType: string): Json => ({
  get: {
    summary,
    tags: ['dashboard'],
    security: [],
    responses: { '200': { description: summary, content: { [contentType]: {} } } },
  },
});

/**
 * Each operation's `operationId`, by method and path: the names client generators
 * give their functions. The test checks that every operation has one.
 */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'post /service/{name}': 'callService',
  ...Object.fromEntries(
    ['get', 'post', 'put', 'patch', 'delete'].flatMap((method) => [
      [`${method} /call/{name}`, `${method}Call`],
      [`${method} /call/{name}/{path}`, `${method}CallPath`],
    ]),
  ),
  'get /service/{name}/jobs': 'takeJobs',
  'post /jobs/{id}': 'answerJob',
  'get /jobs/{id}': 'getResult',
  'post /jobs/{id}/response': 'answerJobAlias',
  'post /jobs': 'answerBatch',
  'post /jobs/{id}/heartbeat': 'heartbeatJob',
  'post /jobs/{id}/fail': 'failJob',
  'get /status': 'getStatus',
  'get /services': 'listServices',
  'get /metrics': 'getMetrics',
  'get /healthz': 'getHealth',
  'get /readyz': 'getReadiness',
  'get /ws': 'openWebSocket',
  'get /ui/events': 'streamDashboardEvents',
  'get /ui': 'getDashboard',
  'get /ui/dashboard.js': 'getDashboardScript',
  'get /ui/events.js': 'getEventCatalogueScript',
  'get /ui/hub-fetch.js': 'getPageTokenScript',
  'get /ui/dashboard.css': 'getDashboardStyle',
  'get /openapi.json': 'getOpenApi',
  'get /': 'redirectToDashboard',
  ...TOPIC_OPERATION_IDS,
  'post /events': 'sendEvent',
  'get /events/docs': 'eventCataloguePage',
  'put /events/docs': 'documentEvents',
  'get /events/docs.json': 'eventCatalogue',
};

/** Gives every operation of `paths` its id from OPERATION_IDS (copies: some operations are shared objects). */
function withOperationIds(paths: Record<string, Json>) {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item as Record<string, Json>).map(([method, operation]) => [
          method,
          { operationId: OPERATION_IDS[`${method} ${path}`], ...operation },
        ]),
      ),
    ]),
  );
}

/** The document, built once. */
export const OPENAPI: Json = {
  openapi: '3.1.0',
  info: {
    title: 'Switchboard',
    version: '0.1.0',
    description:
      'An HTTP request/response hub: callers POST, workers long-poll (or hold a WebSocket) and answer. ' +
      'The rules are docs/protocol.md; every error code is docs/errors.md. Any path not listed here is ' +
      '404 `not_found`; a listed path with another method is 405 `method_not_allowed` with `Allow`.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  // The hub that serves this document (`GET /openapi.json`).
  servers: [{ url: '/', description: 'this hub' }],
  security: [{ bearer: [] }, {}],
  tags: [
    { name: 'callers', description: 'Call a service and wait for its answer, or fetch it later.' },
    { name: 'workers', description: 'Take jobs, answer them, heartbeat and fail them.' },
    {
      name: 'operators',
      description: 'Status, services, metrics: the admin token when auth is on.',
    },
    { name: 'orchestrators', description: 'Liveness and readiness probes, open to all.' },
    { name: 'dashboard', description: 'The live dashboard page and its files.' },
    {
      name: 'events',
      description:
        "Go-Events' envelope, routed by name and version to workers (docs/events-protocol.md).",
    },
    {
      name: 'topics',
      description:
        "Publish, pull and subscribe to topics: msgbus's API under /topics (docs/events.md).",
    },
  ],
  paths: withOperationIds({
    '/service/{name}': { post: call('Call a service and wait for its answer', [serviceName]) },
    ...EVENT_PATHS,
    ...TOPIC_PATHS,
    ...WEBHOOK_PATHS,
    '/call/{name}': proxiedCall([serviceName]),
    '/call/{name}/{path}': proxiedCall([
      serviceName,
      {
        ...pathParam('path', 'The rest of the path, slashes and all, as the worker gets it.'),
        'x-wildcard': true,
      },
    ]),
    '/service/{name}/jobs': {
      get: {
        summary: 'Take the next job (long poll), or up to `max` jobs',
        tags: ['workers'],
        parameters: takeParameters,
        responses: {
          '200': {
            description: 'A job, or with `max` an array of jobs.',
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Job' },
                    { type: 'array', items: { $ref: '#/components/schemas/Job' } },
                  ],
                },
              },
            },
          },
          '204': { description: 'The wait ended with no job.' },
          ...errors(
            ErrorCode.InvalidServiceName,
            ErrorCode.InvalidTimeout,
            ErrorCode.InvalidBatch,
            ErrorCode.InvalidEncoding,
            ErrorCode.InvalidHeader,
            ErrorCode.Forbidden,
            ErrorCode.MethodNotAllowed,
            ErrorCode.HubFull,
            ErrorCode.ServiceFull,
            ErrorCode.TooManyServices,
            ErrorCode.ShuttingDown,
            ErrorCode.StoreUnavailable,
          ),
        },
      },
    },
    '/jobs/{id}': {
      post: answer,
      get: {
        summary: "An async call's answer (by job id), waiting up to `wait` ms",
        tags: ['callers'],
        parameters: [
          pathParam('id', 'The job id of the 202 `Location`.'),
          query('wait', 'Milliseconds to wait for the answer.', ms),
        ],
        responses: {
          '200': {
            description: "The worker's answer, as a sync call would have had it.",
            content: { '*/*': {} },
          },
          '202': {
            description: 'Not answered yet.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/JobState' } } },
          },
          ...errors(
            ErrorCode.UnknownJob,
            ErrorCode.InvalidTimeout,
            ErrorCode.Forbidden,
            ErrorCode.Timeout,
            ErrorCode.QueueTimeout,
            ErrorCode.WorkerFailed,
            ErrorCode.HubFull,
          ),
        },
      },
    },
    '/jobs/{id}/response': {
      post: {
        ...answer,
        summary: "The same as `POST /jobs/{id}` (AstroHub's test worker used it)",
      },
    },
    '/jobs': {
      post: {
        summary: 'Answer many jobs at once; with `next`, take the next ones too',
        tags: ['workers'],
        parameters: nextParameters,
        requestBody: {
          content: {
            'application/vnd.switchboard.answers': {
              schema: {
                type: 'string',
                description: 'A line of JSON heads, then the bodies back to back ([P-BATCH]).',
              },
            },
          },
        },
        responses: {
          '200': {
            description: "Each answer's outcome, and the jobs taken.",
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } },
            },
          },
          ...errors(
            ErrorCode.InvalidBatch,
            ErrorCode.InvalidHeader,
            ErrorCode.PayloadTooLarge,
            ErrorCode.Forbidden,
          ),
        },
      },
    },
    '/jobs/{id}/heartbeat': {
      post: {
        summary: "Extend a job's lease",
        tags: ['workers'],
        parameters: [deliveryId],
        responses: {
          '200': {
            description: 'The new lease.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { leaseUntil: { type: 'integer' }, leaseMs: { type: 'integer' } },
                },
              },
            },
          },
          ...errors(
            ErrorCode.UnknownJob,
            ErrorCode.AlreadyAnswered,
            ErrorCode.LeaseLost,
            ErrorCode.CallerGone,
            ErrorCode.Forbidden,
          ),
        },
      },
    },
    '/jobs/{id}/fail': {
      post: {
        summary: 'Give a job up: hand it on (`retry`) or fail its call',
        tags: ['workers'],
        parameters: [deliveryId],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { message: { type: 'string' }, retry: { type: 'boolean' } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'What the hub did with the job.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { outcome: { enum: ['retrying', 'failed'] } },
                },
              },
            },
          },
          ...errors(
            ErrorCode.UnknownJob,
            ErrorCode.AlreadyAnswered,
            ErrorCode.LeaseLost,
            ErrorCode.CallerGone,
            ErrorCode.InvalidJson,
            ErrorCode.Forbidden,
          ),
        },
      },
    },
    '/status': operator("Every service's figures and the totals", {
      $ref: '#/components/schemas/Status',
    }),
    '/services': operator('Each service: queue, oldest wait, workers seen', { type: 'object' }),
    '/metrics': operator('Prometheus metrics (docs/metrics.md)', { type: 'string' }, 'text/plain'),
    '/healthz': probe('Liveness: 200 while the process serves HTTP', []),
    '/readyz': probe(
      'Readiness: 503 once shutdown has begun, or while the shared store cannot be reached',
      [ErrorCode.ShuttingDown, ErrorCode.StoreUnavailable],
    ),
    '/ws': {
      get: {
        summary:
          'Upgrade to the WebSocket channel (subprotocol `switchboard.v2` or `switchboard.v1`, docs/websocket.md)',
        tags: ['workers', 'callers'],
        parameters: [
          header(
            'Sec-WebSocket-Protocol',
            'Must offer `switchboard.v2` or `switchboard.v1`; v2 is picked when both are.',
          ),
        ],
        responses: {
          '101': { description: 'Switching protocols: frames from here on.' },
          // The upgrade's own refusals; after it, `invalid_frame` and `not_held` (and the
          // codes of the routes a frame stands for) come in error and response frames.
          ...errors(
            ErrorCode.InvalidHeader,
            ErrorCode.Unauthorized,
            ErrorCode.Forbidden,
            ErrorCode.HubFull,
            ErrorCode.InvalidFrame,
            ErrorCode.NotHeld,
          ),
        },
      },
    },
    '/ui/events': operator(
      "The dashboard's server-sent events: a snapshot a second ([P-DASHBOARD])",
      { type: 'string' },
      'text/event-stream',
    ),
    '/ui': page('The live dashboard (docs/dashboard.md)', 'text/html'),
    '/ui/dashboard.js': page("The dashboard's script", 'text/javascript'),
    '/ui/events.js': page("The events catalogue's script", 'text/javascript'),
    '/ui/hub-fetch.js': page(
      "The pages' shared script: requests with the token entered on the page",
      'text/javascript',
    ),
    '/ui/dashboard.css': page("The dashboard's style sheet", 'text/css'),
    '/openapi.json': page('This document', 'application/json'),
    '/': {
      get: {
        summary: 'Sends a browser to the dashboard',
        tags: ['dashboard'],
        security: [],
        responses: {
          '302': {
            description: 'To `/ui`.',
            headers: { Location: { schema: { type: 'string' } } },
          },
        },
      },
    },
  }),
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'When auth is on (HUB_AUTH_FILE / HUB_AUTH_TOKENS).',
      },
    },
    headers: {
      HubError: {
        description:
          "The hub's own error code: present on every error the hub makes, never on a worker's answer.",
        schema: { type: 'string', enum: Object.values(ErrorCode) },
      },
      HubFlowId: { description: "The call's flow id ([P-FLOW]).", schema: { type: 'string' } },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string', enum: Object.values(ErrorCode) },
              message: { type: 'string' },
            },
          },
        },
      },
      Job: {
        type: 'object',
        description: 'A job as a worker receives it (docs/protocol.md, Taking jobs).',
        properties: {
          id: { type: 'string' },
          service: { type: 'string' },
          attempt: { type: 'integer' },
          deadline: { type: 'integer' },
          remainingMs: { type: 'integer' },
          leaseMs: { type: 'integer' },
          method: { type: 'string' },
          path: { type: 'string' },
          query: { type: 'string' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          contentType: { type: 'string' },
          flowId: { type: 'string' },
          encoding: { enum: ['base64'] },
          originalRequest: {},
        },
      },
      JobState: {
        type: 'object',
        properties: { id: { type: 'string' }, state: { type: 'string' } },
      },
      BatchResult: {
        type: 'object',
        properties: {
          outcomes: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                error: { $ref: '#/components/schemas/Error/properties/error' },
              },
            },
          },
          jobs: { type: 'array', items: { $ref: '#/components/schemas/Job' } },
        },
      },
      Status: {
        type: 'object',
        properties: {
          ready: { type: 'boolean' },
          store: {
            type: 'string',
            enum: ['memory', 'redis'],
            description: 'With `redis`, queue figures are every replica’s (docs/scale-out.md)',
          },
          replica: {
            type: 'string',
            description: 'The replica that answered: parked calls, polls and workers are its own',
          },
          parkedCalls: { type: 'integer' },
          parkedPolls: { type: 'integer' },
          total: { type: 'object' },
          services: { type: 'array', items: { type: 'object' } },
          webhooks: {
            type: 'object',
            description: 'Webhooks registered and the dead letters they keep (docs/events.md)',
            properties: {
              registered: { type: 'integer' },
              deadLetters: { type: 'integer' },
            },
          },
        },
      },
    },
  },
};

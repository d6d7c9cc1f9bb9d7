/** The topics' part of the OpenAPI document (docs/events.md): msgbus's API under `/topics`. */
import { ErrorCode } from '../errors.js';
import { Header, MAX_SERVICE_NAME_LENGTH, TOPIC_NAME_PATTERN } from '../protocol.js';
import { errors, type Json, pathParam, query } from './openapi-parts.js';

const topicName = pathParam(
  'topic',
  `The topic: letters, digits, \`.\`, \`:\`, \`_\`, \`-\`, starting with a letter or digit, up to ${MAX_SERVICE_NAME_LENGTH} characters.`,
  { type: 'string', pattern: TOPIC_NAME_PATTERN.source, maxLength: MAX_SERVICE_NAME_LENGTH },
);

/** msgbus's `Message`. */
const message: Json = {
  type: 'object',
  required: ['id', 'topic', 'payload', 'created'],
  properties: {
    id: { type: 'integer', minimum: 0, description: 'From 0 per topic, in publish order.' },
    topic: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        ttl: { type: 'integer', description: 'The age limit in nanoseconds (Go `time.Duration`).' },
        seq: { type: 'integer', description: "The topic's count when the message was published." },
        created: { type: 'string', format: 'date-time' },
      },
    },
    payload: { type: 'string', contentEncoding: 'base64', description: 'The body, any bytes.' },
    created: { type: 'string', format: 'date-time' },
  },
};

const retention: Json = {
  type: 'object',
  properties: {
    maxAgeMs: { type: 'integer', minimum: 1 },
    maxMessages: { type: 'integer', minimum: 1 },
    maxBytes: { type: 'integer', minimum: 1 },
    discard: { enum: ['new', 'old'] },
  },
};

const topicFigures: Json = {
  type: 'object',
  description: "msgbus's `name`, `ttl`, `seq`, `created`, then the hub's figures.",
  properties: {
    name: { type: 'string' },
    ttl: { type: 'integer' },
    seq: { type: 'integer' },
    created: { type: 'string', format: 'date-time' },
    first: { type: 'integer' },
    messages: { type: 'integer' },
    bytes: { type: 'integer' },
    queued: { type: 'integer' },
    expired: { type: 'integer' },
    dropped: { type: 'integer' },
    subscribers: { type: 'integer' },
    retention,
  },
};

const listing = {
  summary: 'Every topic, keyed by name (also at `/topics/`, as msgbus lists them)',
  tags: ['topics'],
  responses: {
    '200': {
      description: 'The topics.',
      content: {
        'application/json': { schema: { type: 'object', additionalProperties: topicFigures } },
      },
    },
    ...errors(ErrorCode.Forbidden),
  },
};

const publish = {
  summary: 'Publish the body to the topic (msgbus: `PUT` or `POST /<topic>`)',
  tags: ['topics'],
  parameters: [topicName],
  requestBody: { content: { '*/*': {} } },
  responses: {
    '200': {
      description:
        "msgbus's 2018 text: `message successfully published to <topic> with sequence <id>`.",
      headers: { [Header.MessageId]: { schema: { type: 'integer' }, description: 'The id.' } },
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
    ...errors(
      ErrorCode.InvalidTopicName,
      ErrorCode.PayloadTooLarge,
      ErrorCode.Forbidden,
      ErrorCode.TopicFull,
      ErrorCode.TopicsFull,
      ErrorCode.TooManyTopics,
      ErrorCode.StoreUnavailable,
    ),
  },
};

const operatorOnly = (summary: string, schema: Json, extra: ErrorCode[] = []): Json => ({
  summary,
  tags: ['topics'],
  responses: {
    '200': { description: summary, content: { 'application/json': { schema } } },
    ...errors(ErrorCode.Forbidden, ...extra),
  },
});

const webhookId = pathParam('id', "The webhook's id, as `GET /webhooks` lists it.");

const webhook: Json = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    topic: { type: 'string' },
    address: { type: 'string', format: 'uri' },
    format: { enum: ['danketsu', 'raw'] },
    secret: { type: 'string', description: 'Standard Webhooks secret, `whsec_<base64>`.' },
    createdAt: { type: 'integer' },
    after: { type: 'integer', description: 'The last message id delivered or given up on.' },
    replays: { type: 'array', items: { type: 'integer' } },
    deadLetters: { type: 'integer' },
  },
};

/** Danketsu's API and the hub's own webhook routes (docs/events.md, Webhooks). */
export const WEBHOOK_PATHS: Record<string, Json> = {
  '/danketsu/api/v1': {
    post: {
      summary:
        "Danketsu's endpoint: register, unregister or fire (also at `/danketsu/api/v1/`, as Danketsu's clients call it)",
      tags: ['topics'],
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                action: { enum: ['register', 'unregister', 'fire'] },
                event: { type: 'string' },
                address: { type: 'string', format: 'uri' },
                payload: { type: 'string' },
              },
            },
          },
        },
      },
      responses: {
        '200': { description: 'Done; no body.' },
        '400': { description: "Malformed (Danketsu's answer); no body." },
        ...errors(ErrorCode.Forbidden, ErrorCode.TopicFull, ErrorCode.TooManyWebhooks),
      },
    },
  },
  '/danketsu/status': {
    get: operatorOnly(
      "Danketsu's figures: events fired in the last 24 hours, callbacks registered now, per event (also at `/danketsu/status/`)",
      { type: 'object' },
    ),
  },
  '/topics/{topic}/webhooks': {
    post: {
      summary: "Register a webhook of the topic's messages, as they are",
      tags: ['topics'],
      parameters: [topicName],
      requestBody: {
        content: {
          'application/json': {
            schema: { type: 'object', properties: { address: { type: 'string', format: 'uri' } } },
          },
        },
      },
      responses: {
        '201': {
          description: 'The webhook, with its secret.',
          content: { 'application/json': { schema: webhook } },
        },
        ...errors(
          ErrorCode.InvalidJson,
          ErrorCode.InvalidHeader,
          ErrorCode.Forbidden,
          ErrorCode.TooManyWebhooks,
        ),
      },
    },
  },
  '/webhooks': { get: operatorOnly('Every webhook', { type: 'array', items: webhook }) },
  '/webhooks/{id}': {
    delete: {
      summary: 'Remove a webhook',
      tags: ['topics'],
      parameters: [webhookId],
      responses: {
        '204': { description: 'Removed.' },
        ...errors(ErrorCode.UnknownWebhook, ErrorCode.Forbidden),
      },
    },
  },
  '/webhooks/{id}/dead-letters': {
    get: {
      ...operatorOnly(
        "A webhook's dead letters",
        {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              messageId: { type: 'integer' },
              attempts: { type: 'integer' },
              error: { type: 'string' },
              at: { type: 'integer' },
            },
          },
        },
        [ErrorCode.UnknownWebhook],
      ),
      parameters: [webhookId],
    },
  },
  '/webhooks/{id}/replay': {
    post: {
      ...operatorOnly(
        'Deliver its dead letters again',
        { type: 'object', properties: { replaying: { type: 'integer' } } },
        [ErrorCode.UnknownWebhook],
      ),
      parameters: [webhookId],
    },
  },
};

export const TOPIC_OPERATION_IDS: Readonly<Record<string, string>> = {
  'post /danketsu/api/v1': 'danketsu',
  'get /danketsu/status': 'danketsuStatus',
  'post /topics/{topic}/webhooks': 'addWebhook',
  'get /webhooks': 'listWebhooks',
  'delete /webhooks/{id}': 'deleteWebhook',
  'get /webhooks/{id}/dead-letters': 'listDeadLetters',
  'post /webhooks/{id}/replay': 'replayDeadLetters',
  'get /topics': 'listTopics',
  'put /topics/{topic}': 'publishPut',
  'post /topics/{topic}': 'publish',
  'get /topics/{topic}': 'pullOrSubscribe',
  'patch /topics/{topic}': 'setTopicRetention',
  'delete /topics/{topic}': 'deleteTopic',
};

export const TOPIC_PATHS: Record<string, Json> = {
  '/topics': { get: listing },
  '/topics/{topic}': {
    put: publish,
    post: publish,
    get: {
      summary:
        "Pull the queue's next message, read after a cursor, or subscribe (WebSocket upgrade, or `Accept: text/event-stream`)",
      tags: ['topics'],
      parameters: [
        topicName,
        query(
          'after',
          'A cursor: the first message after this id (-1: the oldest kept); consumes nothing.',
          {
            type: 'integer',
            minimum: -1,
          },
        ),
        query('wait', 'Milliseconds to wait for a message when none is there.', {
          type: 'integer',
          minimum: 0,
        }),
        query(
          'version',
          'A subscription (WebSocket, event stream): only the event envelopes of this version (docs/events-protocol.md).',
          { type: 'integer', minimum: 1 },
        ),
      ],
      responses: {
        '101': { description: "A WebSocket: each message as one text frame of msgbus's JSON." },
        '200': {
          description:
            "The message (msgbus's JSON), or with `Accept: text/event-stream` an event stream of them.",
          headers: {
            [Header.Skipped]: {
              schema: { type: 'integer' },
              description: 'On a cursor read: ids retention removed before the cursor got to them.',
            },
          },
          content: {
            'application/json': { schema: message },
            'text/event-stream': { schema: { type: 'string' } },
          },
        },
        ...errors(
          ErrorCode.InvalidTopicName,
          ErrorCode.InvalidHeader,
          ErrorCode.InvalidTimeout,
          ErrorCode.Forbidden,
          ErrorCode.NoMessages,
          ErrorCode.HubFull,
          ErrorCode.ServiceFull,
          ErrorCode.StoreUnavailable,
        ),
      },
    },
    patch: {
      summary: "Set the topic's retention (an operator's)",
      tags: ['topics'],
      parameters: [topicName],
      requestBody: { content: { 'application/json': { schema: retention } } },
      responses: {
        '200': {
          description: 'The topic.',
          content: { 'application/json': { schema: topicFigures } },
        },
        ...errors(
          ErrorCode.InvalidTopicName,
          ErrorCode.InvalidRetention,
          ErrorCode.Forbidden,
          ErrorCode.TooManyTopics,
        ),
      },
    },
    delete: {
      summary: "Delete the topic and its messages (an operator's)",
      tags: ['topics'],
      parameters: [topicName],
      responses: {
        '204': { description: 'Deleted; its subscribers are let go.' },
        ...errors(ErrorCode.InvalidTopicName, ErrorCode.UnknownTopic, ErrorCode.Forbidden),
      },
    },
  },
};

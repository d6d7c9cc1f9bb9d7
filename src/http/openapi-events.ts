/** The events envelope protocol's part of the OpenAPI document (docs/events-protocol.md). */
import { ErrorCode } from '../errors.js';
import { CLOUD_EVENT_SCHEMA } from '../exchange/cloudevents.js';
import { ENVELOPE_SCHEMA } from '../exchange/event-schema.js';
import { Header } from '../protocol.js';
import { errors, type Json, query } from './openapi-parts.js';

/** Codes an error event may carry: every one is answered 200, as Go-Events answers. */
const EVENT_ERROR_CODES = [
  ErrorCode.InvalidEvent,
  ErrorCode.NoWorkers,
  ErrorCode.Timeout,
  ErrorCode.WorkerFailed,
  ErrorCode.QueueFull,
  ErrorCode.HubFull,
  ErrorCode.ServiceFull,
  ErrorCode.Forbidden,
  ErrorCode.ShuttingDown,
  ErrorCode.StoreUnavailable,
];

const eventDoc: Json = {
  type: 'object',
  required: ['name', 'version'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    doc: { type: 'string', description: 'What the event does, in words.' },
    input: { description: "A JSON Schema of the request's payload." },
    output: { description: "A JSON Schema of the response's payload." },
    example: {
      type: 'object',
      properties: { request: {}, response: {} },
      description: 'An example payload and its answer.',
    },
  },
};

export const EVENT_PATHS: Record<string, Json> = {
  '/events/docs': {
    get: {
      summary: 'The live catalogue: a page of every event served now (its data: /events/docs.json)',
      tags: ['events'],
      security: [],
      responses: { '200': { description: 'The page.', content: { 'text/html': {} } } },
    },
    put: {
      summary: "A worker documents the events it serves (Go-Events' EventDoc), for the catalogue",
      tags: ['events'],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'array', maxItems: 100, items: eventDoc } },
        },
      },
      responses: {
        '204': { description: 'Kept, replacing what each (name, version) had.' },
        ...errors(
          ErrorCode.InvalidJson,
          ErrorCode.InvalidEvent,
          ErrorCode.Forbidden,
          ErrorCode.TooManyServices,
          ErrorCode.PayloadTooLarge,
        ),
      },
    },
  },
  '/events/docs.json': {
    get: {
      summary:
        'The live catalogue as data: every (name, version) served now, by whom, since when, and its docs',
      tags: ['events'],
      responses: {
        '200': {
          description: 'By name, then version.',
          content: {
            'application/json': {
              schema: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    version: { type: 'integer' },
                    service: { type: 'string' },
                    workers: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          id: { type: 'string' },
                          lastSeenAt: { type: 'string', format: 'date-time' },
                          inFlight: { type: 'integer' },
                        },
                      },
                    },
                    waitingWorkers: { type: 'integer' },
                    since: { type: 'string', format: 'date-time' },
                    documentedBy: { type: 'string' },
                    doc: { type: 'string' },
                    input: {},
                    output: {},
                    example: {},
                  },
                },
              },
            },
          },
        },
        ...errors(),
      },
    },
  },
  '/events': {
    post: {
      summary:
        "Send an event (Go-Events' envelope) to a worker of `<name>.v<version>`, and wait for its response event",
      tags: ['events'],
      parameters: [
        query(
          'publish',
          'Present: publish the envelope to the topic of its name instead (answered `<name>:published`).',
          { type: 'string' },
        ),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: ENVELOPE_SCHEMA as Json },
          // A CloudEvent (structured mode, 1.0), mapped to the envelope: docs/events-protocol.md.
          'application/cloudevents+json': { schema: CLOUD_EVENT_SCHEMA as Json },
        },
      },
      responses: {
        '200': {
          description: `One event and a newline: the worker's response event, byte for byte, or an error event whose payload has \`message\`, \`code\` (${EVENT_ERROR_CODES.map((c) => `\`${c}\``).join(', ')}) and, for \`invalid_event\`, the bad \`field\`.`,
          headers: {
            [Header.Error]: {
              schema: { type: 'string' },
              description: "An error event's code, for a client that wants HTTP semantics.",
            },
            [Header.FlowId]: {
              schema: { type: 'string' },
              description: "The envelope's flowId, the job's flow id.",
            },
          },
          content: { 'application/json': { schema: ENVELOPE_SCHEMA as Json } },
          'x-event-error-codes': EVENT_ERROR_CODES,
        },
        '202': {
          description:
            'With `Prefer: respond-async`: where to ask for the response event (`Location`).',
        },
        ...errors(ErrorCode.PayloadTooLarge),
      },
    },
  },
};

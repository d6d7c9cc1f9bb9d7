/** The events envelope protocol's part of the OpenAPI document (docs/events-protocol.md). */
import { ErrorCode } from '../errors.js';
import { ENVELOPE_SCHEMA } from '../exchange/event-schema.js';
import { Header } from '../protocol.js';
import { errors, type Json } from './openapi-parts.js';

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

export const EVENT_PATHS: Record<string, Json> = {
  '/events': {
    post: {
      summary:
        "Send an event (Go-Events' envelope) to a worker of `<name>.v<version>`, and wait for its response event",
      tags: ['events'],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ENVELOPE_SCHEMA as Json } },
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

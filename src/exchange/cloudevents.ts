import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EVENT_NAME_PATTERN, eventText, MAX_EVENT_VERSION } from '../event-envelope.js';
import { rawMembers } from '../raw-json.js';
import type { SchemaProblem } from './event-schema.js';

/** CloudEvents' structured JSON mode: `Content-Type: application/cloudevents+json`. */
export const CLOUDEVENTS_MEDIA_TYPE = 'application/cloudevents+json';

/**
 * What the hub reads of a CloudEvent (spec 1.0): the required context
 * attributes, `data` as an object (an envelope's payload is one), and two
 * extensions of its own: `eventversion` (the envelope's version, 1 when absent)
 * and `flowid` (its flowId; the CloudEvent's `id` when absent).
 */
const CLOUD_EVENT = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ pattern: EVENT_NAME_PATTERN.source }),
  time: Type.Optional(Type.String()),
  data: Type.Object({}),
  eventversion: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENT_VERSION })),
  flowid: Type.Optional(Type.String({ minLength: 1 })),
});
const cloudEventCheck = TypeCompiler.Compile(CLOUD_EVENT);

/** The CloudEvent's JSON Schema as the hub reads it, for the OpenAPI document. */
export const CLOUD_EVENT_SCHEMA: unknown = CLOUD_EVENT;

interface CloudEvent {
  id: string;
  source: string;
  type: string;
  time?: string;
  eventversion?: number;
  flowid?: string;
}

/**
 * A CloudEvent as Go-Events' envelope, its text: `type` is the name,
 * `eventversion` the version, `flowid` (or `id`) the flowId, `data` the payload
 * byte for byte, and `source`, `id`, `time` the metadata's `origin`,
 * `originId`, `timestamp`. Or the problem, with its field.
 */
export function envelopeOfCloudEvent(
  value: unknown,
  raw: string,
): { text: string } | { problem: SchemaProblem } {
  if (!cloudEventCheck.Check(value)) {
    const error = cloudEventCheck.Errors(value).First();
    const field = error?.path || '/';
    return { problem: { field, message: `${field}: ${error?.message ?? 'not a CloudEvent'}` } };
  }
  const event = value as CloudEvent;
  const metadata = JSON.stringify({
    origin: event.source,
    originId: event.id,
    ...(event.time !== undefined && { timestamp: event.time }),
  });
  const text = eventText({
    name: event.type,
    version: event.eventversion ?? 1,
    id: event.id,
    flowId: event.flowid ?? event.id,
    payload: rawMembers(raw).get('data') ?? '{}',
    metadata,
  });
  return { text };
}

import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EVENT_NAME_PATTERN, MAX_EVENT_VERSION } from '../event-envelope.js';
import { MAX_BATCH_EVENTS } from '../protocol.js';

/**
 * The envelope as Go-Events' README gives it (name, version ≥ 1, id, flowId and
 * payload required; metadata optional), with the hub's one narrowing: a name is
 * a service name's characters, since name and version make the service.
 * TypeBox builds the JSON Schema and compiles its check once, at start-up.
 */
const ENVELOPE = Type.Object({
  name: Type.String({ pattern: EVENT_NAME_PATTERN.source }),
  version: Type.Integer({ minimum: 1, maximum: MAX_EVENT_VERSION }),
  id: Type.String({ minLength: 1 }),
  flowId: Type.String({ minLength: 1 }),
  payload: Type.Object({}),
  metadata: Type.Optional(Type.Object({})),
});

/** `batch` version 1's payload: the events, run in order or side by side. */
const BATCH = Type.Object({
  parallel: Type.Optional(Type.Boolean()),
  events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_BATCH_EVENTS }),
});

const envelopeCheck = TypeCompiler.Compile(ENVELOPE);
const batchCheck = TypeCompiler.Compile(BATCH);

export type ParsedEnvelope = Static<typeof ENVELOPE>;
export type ParsedBatch = Static<typeof BATCH>;

/** Why a value is not what it must be: the field, as a JSON pointer, and how. */
export interface SchemaProblem {
  readonly field: string;
  readonly message: string;
}

/** The first problem with `value` as an envelope, or undefined when it is one. */
export function envelopeProblem(value: unknown): SchemaProblem | undefined {
  if (envelopeCheck.Check(value)) return undefined;
  return firstProblem(envelopeCheck.Errors(value).First(), '');
}

/** The first problem with `value` as a batch's payload (fields under `/payload`). */
export function batchProblem(value: unknown): SchemaProblem | undefined {
  if (batchCheck.Check(value)) return undefined;
  return firstProblem(batchCheck.Errors(value).First(), '/payload');
}

function firstProblem(
  error: { path: string; message: string } | undefined,
  under: string,
): SchemaProblem {
  const field = `${under}${error?.path ?? ''}` || '/';
  const name = field.split('/')[1] ?? '';
  // The name's rule is the hub's own: say it in words, not as a pattern.
  const message =
    field === '/name' && error?.message.startsWith('Expected string to match')
      ? 'an event name is 1-100 of A-Z a-z 0-9 . _ - starting with a letter or digit'
      : (error?.message ?? 'not an event');
  return { field, message: name ? `${field}: ${message}` : message };
}

/** The envelope's JSON Schema, for the OpenAPI document and the catalogue page. */
export const ENVELOPE_SCHEMA: unknown = ENVELOPE;

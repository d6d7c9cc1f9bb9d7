import { randomUUID } from 'node:crypto';
import { allows, requireTopic } from '../auth.js';
import type { Hub } from '../core/hub.js';
import type { CallInput } from '../core/hub-types.js';
import type { CancelSignal } from '../domain/cancel.js';
import type { Answer, CallPayload } from '../domain/job.js';
import { ErrorCode, isHubError } from '../errors.js';
import {
  type EventEnvelope,
  errorEvent,
  eventOfService,
  eventService,
  eventText,
} from '../event-envelope.js';
import { BATCH_CONCURRENCY, FLOW_ID_PATTERN, Header } from '../protocol.js';
import { rawElements, rawMembers } from '../raw-json.js';
import { randomHex128 } from '../util/random-hex.js';
import { callInput, callSettings, resultReply } from './call-handler.js';
import { CLOUDEVENTS_MEDIA_TYPE, envelopeOfCloudEvent } from './cloudevents.js';
import { forwardedRequestHeaders } from './crossing-headers.js';
import { batchProblem, envelopeProblem, type ParsedEnvelope } from './event-schema.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NEWLINE = Buffer.from('\n');

/** What an event's answer is: its text (one event), and the hub's error code when it is an error event. */
interface EventOutcome {
  readonly text: string | Uint8Array;
  readonly code?: string | undefined;
  readonly flowId?: string | undefined;
  readonly headers?: Record<string, string>;
}

/**
 * `POST /events`: one envelope, routed by name and version to a worker of
 * `<name>.v<version>` through the same queues, leases and deadlines as a call,
 * answered as Go-Events' Mux answers: always 200, one event and a newline; an
 * error event carries the hub's code, which `Hub-Error` repeats.
 * docs/events-protocol.md.
 */
export async function eventReply(
  hub: Hub,
  request: ExchangeRequest,
  scopeHeaders: readonly string[],
): Promise<Reply> {
  const settings = callSettings(request, scopeHeaders);
  const gone = request.gone();
  const parsed = parseEvent(await request.body(), request.headers.get('content-type'));
  if ('error' in parsed) return eventOutcomeReply(parsed.error);
  const { envelope, raw, bytes } = parsed;
  if (request.query('publish') !== undefined) {
    return eventOutcomeReply(await publishEvent(hub, request, envelope, bytes));
  }
  if (envelope.name === 'batch' && envelope.version === 1) {
    return eventOutcomeReply(await batchOutcome(hub, request, gone, envelope, raw, settings));
  }
  const call = eventCall(request, envelope, bytes, settings);
  if ('error' in call) return eventOutcomeReply(call.error);
  const { input } = call;
  if (settings.preferences?.respondAsync) {
    try {
      const waitMs = Math.min(
        settings.preferences.waitMs ?? 0,
        settings.timeoutMs ?? Number.POSITIVE_INFINITY,
      );
      const { id, result } = await hub.submitAndWait(input, waitMs, gone);
      if (result.state === 'done') {
        const { outcome } = result;
        return eventOutcomeReply(
          'answer' in outcome
            ? answeredEvent(envelope, outcome.answer)
            : await failedEvent(hub, envelope, outcome.error),
        );
      }
      return resultReply(id, result, { [Header.FlowId]: input.payload.flowId });
    } catch (error) {
      if (!isHubError(error)) throw error;
      return eventOutcomeReply(await failedEvent(hub, envelope, error));
    }
  }
  return eventOutcomeReply(await callEvent(hub, gone, envelope, input));
}

type Settings = ReturnType<typeof callSettings>;

/**
 * An envelope read from bytes, with its raw text and the bytes a worker gets
 * (a CloudEvent's are the envelope it maps to); or the error event that says
 * why it is none.
 */
function parseEvent(
  sent: Uint8Array,
  contentType?: string,
): { envelope: ParsedEnvelope; raw: string; bytes: Uint8Array } | { error: EventOutcome } {
  let raw: string;
  let value: unknown;
  let bytes = sent;
  try {
    raw = utf8.decode(bytes);
    value = JSON.parse(raw);
  } catch {
    return invalid(undefined, '/', 'the body is not JSON: send one event as a JSON object');
  }
  if (contentType?.toLowerCase().startsWith(CLOUDEVENTS_MEDIA_TYPE)) {
    const mapped = envelopeOfCloudEvent(value, raw);
    if ('problem' in mapped) {
      return invalid(undefined, mapped.problem.field, mapped.problem.message);
    }
    raw = mapped.text;
    value = JSON.parse(raw);
    bytes = Buffer.from(raw);
  }
  const problem = envelopeProblem(value);
  const flowId = flowIdIn(value);
  if (problem) return invalid(flowId, problem.field, problem.message);
  return { envelope: value as ParsedEnvelope, raw, bytes };
}

function invalid(flowId: string | undefined, field: string, message: string) {
  return {
    error: {
      text: errorEvent(flowId, message, { code: ErrorCode.InvalidEvent, field }),
      code: ErrorCode.InvalidEvent,
      flowId,
    },
  };
}

/** A request's flowId if it has a usable one, for an error event about the rest of it. */
function flowIdIn(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const flowId = (value as { flowId?: unknown }).flowId;
  return typeof flowId === 'string' && flowId !== '' ? flowId : undefined;
}

/** The call an envelope makes of the workers of its name and version, if the caller's token may make it. */
function eventCall(
  request: ExchangeRequest,
  envelope: ParsedEnvelope,
  bytes: Uint8Array,
  settings: Settings,
): { input: CallInput } | { error: EventOutcome } {
  const service = eventService(envelope.name, envelope.version);
  const { grant } = request;
  if (grant && !allows(grant, 'caller', service)) {
    return {
      error: hubErrorEvent(
        envelope.flowId,
        ErrorCode.Forbidden,
        `the token '${grant.name}' may not send ${envelope.name} version ${envelope.version} (service ${service})`,
      ),
    };
  }
  const payload = eventPayload(request, envelope, bytes);
  return { input: callInput(service, payload, settings, !settings.queueWithoutWorkers) };
}

/**
 * What a worker gets: the envelope's bytes as the caller sent them, as a JSON
 * call body. Its flowId is the job's flow id when it can be one (1-128
 * printable ASCII characters, as `Hub-Flow-Id`); otherwise the hub makes one
 * and the envelope keeps its own.
 */
function eventPayload(
  request: ExchangeRequest,
  envelope: ParsedEnvelope,
  body: Uint8Array,
): CallPayload {
  return {
    method: 'POST',
    path: '/',
    query: '',
    body,
    contentType: 'application/json',
    isJson: true,
    headers: forwardedRequestHeaders(request.headers),
    flowId: FLOW_ID_PATTERN.test(envelope.flowId) ? envelope.flowId : randomHex128(),
  };
}

/** Makes an envelope's call and waits for the answer, as an event either way. */
async function callEvent(
  hub: Hub,
  gone: CancelSignal,
  envelope: ParsedEnvelope,
  input: CallInput,
): Promise<EventOutcome> {
  try {
    return answeredEvent(envelope, await hub.call(input, gone));
  } catch (error) {
    if (!isHubError(error)) throw error;
    return failedEvent(hub, envelope, error);
  }
}

/**
 * The worker's answer is the response event, passed on byte for byte. An
 * answer that is not one (another status, not a JSON object) becomes an error
 * event: the caller asked for an event and gets one.
 */
function answeredEvent(envelope: ParsedEnvelope, answer: Answer): EventOutcome {
  const ok = answer.status >= 200 && answer.status < 300;
  if (ok && isJsonObject(answer.body)) return { text: answer.body, flowId: envelope.flowId };
  return hubErrorEvent(
    envelope.flowId,
    ErrorCode.WorkerFailed,
    ok
      ? `the worker's answer to ${envelope.name} version ${envelope.version} is not an event (a JSON object)`
      : `the worker answered ${envelope.name} version ${envelope.version} with status ${answer.status}`,
  );
}

function isJsonObject(body: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(utf8.decode(body));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * A hub error as an error event. No worker for the name and version is
 * Go-Events' "Event not Found", with the versions of the name that are served.
 */
async function failedEvent(
  hub: Hub,
  envelope: ParsedEnvelope,
  error: { code: string; message: string },
): Promise<EventOutcome> {
  if (error.code !== ErrorCode.NoWorkers)
    return hubErrorEvent(envelope.flowId, error.code, error.message);
  const versions = await servedVersions(hub, envelope.name);
  const served = versions.length
    ? `; versions served now: ${versions.join(', ')}`
    : '; no version of it is served now';
  return {
    text: errorEvent(envelope.flowId, 'Event not Found', {
      code: ErrorCode.NoWorkers,
      detail: `no worker serves ${envelope.name} version ${envelope.version}${served}`,
      versions,
    }),
    code: ErrorCode.NoWorkers,
    flowId: envelope.flowId,
  };
}

/** The versions of `name` that some worker serves now (seen within the worker window, or parked). */
export async function servedVersions(hub: Hub, name: string): Promise<number[]> {
  const versions: number[] = [];
  for (const service of await hub.services()) {
    const event = eventOfService(service.service);
    if (event?.name !== name) continue;
    if (service.workers.length > 0 || service.waitingWorkers > 0) versions.push(event.version);
  }
  return versions.sort((a, b) => a - b);
}

function hubErrorEvent(flowId: string, code: string, message: string): EventOutcome {
  return { text: errorEvent(flowId, message, { code }), code, flowId };
}

/**
 * `batch` version 1, served by the hub: each inner event goes to its own
 * worker, in order, or up to BATCH_CONCURRENCY at once when `parallel`; one bad
 * inner event fails alone. Answers `batch:response` with one event per inner
 * event, in order.
 */
async function batchOutcome(
  hub: Hub,
  request: ExchangeRequest,
  gone: CancelSignal,
  batch: ParsedEnvelope,
  raw: string,
  settings: Settings,
): Promise<EventOutcome> {
  const problem = batchProblem(batch.payload);
  if (problem) {
    return {
      text: errorEvent(batch.flowId, problem.message, {
        code: ErrorCode.InvalidEvent,
        field: problem.field,
      }),
      code: ErrorCode.InvalidEvent,
      flowId: batch.flowId,
    };
  }
  const payload = batch.payload as { parallel?: boolean; events: unknown[] };
  const rawPayload = rawMembers(raw).get('payload') ?? '{}';
  const rawEvents = rawElements(rawMembers(rawPayload).get('events') ?? '[]');
  const answers: string[] = new Array(payload.events.length);
  // The batch's Idempotency-Key gives each inner event a key of its own: two
  // alike are two calls, and the batch sent again replays each one's answer.
  const { idempotencyKey } = settings;
  const runOne = async (index: number) => {
    const inner = rawEvents[index] ?? 'null';
    const own =
      idempotencyKey === undefined
        ? settings
        : { ...settings, idempotencyKey: `${idempotencyKey}#${index}` };
    const outcome = await innerEvent(hub, request, gone, inner, own);
    answers[index] =
      typeof outcome.text === 'string' ? outcome.text : Buffer.from(outcome.text).toString();
  };
  const width = payload.parallel ? BATCH_CONCURRENCY : 1;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, payload.events.length) }, async () => {
      while (next < payload.events.length) await runOne(next++);
    }),
  );
  const response: EventEnvelope = {
    name: 'batch:response',
    version: 1,
    id: randomUUID(),
    flowId: batch.flowId,
    payload: `{"events":[${answers.map((text) => text.trimEnd()).join(',')}]}`,
  };
  return { text: eventText(response), flowId: batch.flowId };
}

/** One event of a batch, from its raw text: checked, then sent like any other. */
async function innerEvent(
  hub: Hub,
  request: ExchangeRequest,
  gone: CancelSignal,
  raw: string,
  settings: Settings,
): Promise<EventOutcome> {
  const bytes = Buffer.from(raw);
  const parsed = parseEvent(bytes);
  if ('error' in parsed) return parsed.error;
  const { envelope } = parsed;
  if (envelope.name === 'batch') {
    return hubErrorEvent(envelope.flowId, ErrorCode.InvalidEvent, 'a batch cannot hold a batch');
  }
  // An inner event waits for its answer, whatever the batch's `Prefer` says.
  const call = eventCall(request, envelope, bytes, settings);
  if ('error' in call) return call.error;
  return callEvent(hub, gone, envelope, call.input);
}

/**
 * `POST /events?publish`: the envelope, as sent, published to the topic of its
 * name, for subscribers rather than a worker (a subscription's `?version=`
 * keeps one version). Answered with a `<name>:published` event naming the
 * message's id; a token needs the topic in its `publish` list.
 */
async function publishEvent(
  hub: Hub,
  request: ExchangeRequest,
  envelope: ParsedEnvelope,
  bytes: Uint8Array,
): Promise<EventOutcome> {
  try {
    if (request.grant) requireTopic(request.grant, 'publish', envelope.name);
    const message = await hub.topics.publish(envelope.name, bytes);
    const published: EventEnvelope = {
      name: `${envelope.name}:published`,
      version: envelope.version,
      id: randomUUID(),
      flowId: envelope.flowId,
      payload: JSON.stringify({ topic: envelope.name, id: message.id }),
    };
    return {
      text: eventText(published),
      flowId: envelope.flowId,
      headers: { [Header.MessageId]: String(message.id) },
    };
  } catch (error) {
    if (!isHubError(error)) throw error;
    return hubErrorEvent(envelope.flowId, error.code, error.message);
  }
}

/** Always 200 and one event with a newline, as Go-Events' Mux; the error's code in `Hub-Error` too. */
function eventOutcomeReply(outcome: EventOutcome): Reply {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...outcome.headers,
  };
  if (outcome.code !== undefined) headers[Header.Error] = outcome.code;
  if (outcome.flowId !== undefined && FLOW_ID_PATTERN.test(outcome.flowId)) {
    headers[Header.FlowId] = outcome.flowId;
  }
  const { text } = outcome;
  const body =
    typeof text === 'string'
      ? `${text}\n`
      : text[text.byteLength - 1] === 0x0a
        ? text
        : Buffer.concat([text, NEWLINE]);
  return { status: 200, headers, body };
}

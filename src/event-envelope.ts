/**
 * The events envelope protocol (Go-Events 1.0.0) on the wire, shared by the hub
 * (`POST /events`) and the SDK (`EventMux`, `EventClient`), so both build the
 * same shapes: docs/events-protocol.md.
 */

/** An event as it travels: `payload` and `metadata` stay their raw JSON text. */
export interface EventEnvelope {
  readonly name: string;
  readonly version: number;
  readonly id: string;
  readonly flowId: string;
  /** The payload's JSON text, exactly as it came. */
  readonly payload: string;
  /** The metadata's JSON text, if there was one. */
  readonly metadata?: string | undefined;
}

/**
 * An event's name: a service name's characters (letters, digits, `.`, `_`, `-`),
 * at most 100, so that name and version make one service name (`eventService`).
 */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The largest version: any integer a client is likely to send, and one a service name can hold. */
export const MAX_EVENT_VERSION = 2 ** 31 - 1;

/**
 * The service that serves an event: `add` version 2 is `add.v2`. A plain worker
 * serves it by polling `GET /service/add.v2/jobs`, and every rule of a service
 * (queues, leases, deadlines, tokens, metrics) is an event's too.
 */
export function eventService(name: string, version: number): string {
  return `${name}.v${version}`;
}

/** The event a service serves, if its name is one `eventService` made. */
export function eventOfService(service: string): { name: string; version: number } | undefined {
  const match = /^(.+)\.v([1-9][0-9]{0,9})$/.exec(service);
  if (!match) return undefined;
  const version = Number(match[2]);
  if (version > MAX_EVENT_VERSION) return undefined;
  return { name: match[1] as string, version };
}

/** An event's text, one line: fields in the protocol's order, payload and metadata as given. */
export function eventText(event: EventEnvelope): string {
  const head = `{"name":${JSON.stringify(event.name)},"version":${event.version},"id":${JSON.stringify(event.id)},"flowId":${JSON.stringify(event.flowId)},"payload":${event.payload}`;
  return event.metadata === undefined ? `${head}}` : `${head},"metadata":${event.metadata}}`;
}

/** The answer to `request`: `<name>:response`, its version and flow, a new id, this payload. */
export function responseEvent(
  request: Pick<EventEnvelope, 'name' | 'version' | 'flowId'>,
  payload: string,
  metadata?: string,
): EventEnvelope {
  return {
    name: `${request.name}:response`,
    version: request.version,
    id: crypto.randomUUID(),
    flowId: request.flowId,
    payload,
    metadata,
  };
}

/** What an error event's payload says beyond Go-Events' `message`. */
export interface ErrorDetail {
  /** The hub's error code (docs/errors.md). */
  readonly code?: string | undefined;
  /** The field of the request that was wrong, as a JSON pointer (`/version`). */
  readonly field?: string | undefined;
  /** Anything else worth saying, for `unknown` events the versions that are served. */
  readonly [more: string]: unknown;
}

/**
 * An error event: `{"name":"error","version":1,"id":<new>,"payload":{"message"}}`,
 * with the request's flowId when it had one (Go-Events: a body that is not an
 * event has none) and the hub's code beside the message.
 */
export function errorEvent(
  flowId: string | undefined,
  message: string,
  detail: ErrorDetail = {},
  metadata?: string,
): string {
  const payload = JSON.stringify({ message, ...detail });
  const id = JSON.stringify(crypto.randomUUID());
  const flow = flowId === undefined ? '' : `,"flowId":${JSON.stringify(flowId)}`;
  const meta = metadata === undefined ? '' : `,"metadata":${metadata}`;
  return `{"name":"error","version":1,"id":${id}${flow},"payload":${payload}${meta}}`;
}

/**
 * Go-Events' Mux for a whole fleet (docs/events-protocol.md): `EventMux` serves
 * handlers by name and version through the hub, `EventClient` sends events to
 * them, `newResponse` and `newError` build the answers.
 */
import { hostname } from 'node:os';
import {
  type EventEnvelope,
  errorEvent,
  eventService,
  eventText,
  responseEvent,
} from '../event-envelope.js';
import { rawMembers } from '../raw-json.js';
import { JsonText } from './answer.js';
import type { BackoffOptions } from './backoff.js';
import type { Transport } from './client.js';
import type { ReceivedJob } from './received-job.js';
import { HubWorker, type JobContext, type WorkerLogger } from './worker.js';

/** An event as a handler gets it: parsed values, and their exact text beside them. */
export interface ReceivedEvent<P = Record<string, unknown>> {
  readonly name: string;
  readonly version: number;
  readonly id: string;
  readonly flowId: string;
  readonly payload: P;
  /** The payload's JSON exactly as sent (a big integer keeps its digits). */
  readonly rawPayload: string;
  readonly metadata?: Record<string, unknown> | undefined;
  readonly rawMetadata?: string | undefined;
}

/** An event to send back, its JSON text on one line: build one with `newResponse` or `newError`. */
export class OutgoingEvent extends JsonText {}

/**
 * The response to `request`: `<name>:response`, the same version and flowId, a
 * new id. Passing the request's own `payload` object sends its exact text back:
 * `(e) => newResponse(e, e.payload)` echoes byte for byte, big integers included.
 */
export function newResponse(
  request: ReceivedEvent<unknown>,
  payload: unknown,
  metadata?: Record<string, unknown>,
): OutgoingEvent {
  const text = payload === request.payload ? request.rawPayload : JSON.stringify(payload);
  const meta = metadata === undefined ? undefined : JSON.stringify(metadata);
  return new OutgoingEvent(eventText(responseEvent(request, text, meta)));
}

/** An error event, as Go-Events' `NewError`: `{"name":"error","version":1,…,"payload":{"message"}}`. */
export function newError(
  flowId: string,
  message: string,
  metadata?: Record<string, unknown>,
): OutgoingEvent {
  return new OutgoingEvent(
    errorEvent(flowId, message, {}, metadata === undefined ? undefined : JSON.stringify(metadata)),
  );
}

/**
 * What a handler returns: an `OutgoingEvent`, or any other value, which
 * becomes the payload of the response event. A throw becomes an error event.
 */
export type EventHandler<P = Record<string, unknown>> = (
  event: ReceivedEvent<P>,
  context: { readonly signal: AbortSignal },
) => unknown;

/** Go-Events' `EventDoc`: what a handler does, for the people who call it. */
export interface EventDoc {
  readonly doc?: string;
  /** JSON Schemas of the payload it takes and of the one it answers. */
  readonly input?: unknown;
  readonly output?: unknown;
  /** An example request payload and its answer. */
  readonly example?: { readonly request?: unknown; readonly response?: unknown };
}

/** Hooks for the user's own tracing: called around each event a mux handles. */
export interface EventTracker {
  start?(event: ReceivedEvent<unknown>): void;
  error?(event: ReceivedEvent<unknown>, error: unknown): void;
  end?(event: ReceivedEvent<unknown>, response: OutgoingEvent): void;
}

export interface ServeOptions {
  /** The hub's base URL. @example 'http://127.0.0.1:8080' */
  readonly hub: string;
  /** A worker token whose services list every `<name>.v<version>` served. */
  readonly token?: string | undefined;
  readonly transport?: Transport;
  /** Events handled at once, per name and version. @default 8 */
  readonly concurrency?: number;
  readonly tracker?: EventTracker;
  readonly logger?: WorkerLogger | false;
  readonly backoff?: BackoffOptions;
  /** How the mux's worker names itself in `GET /services` and the catalogue. @default `<hostname>-<pid>-<random>` */
  readonly id?: string;
}

/** A running mux: `ready` once every (name, version) is served; `stop()` as `HubWorker`'s. */
export interface ServingMux {
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  stop(options?: { graceMs?: number }): Promise<void>;
}

interface Route {
  readonly handler: EventHandler<never>;
  readonly doc: EventDoc;
}

/**
 * Handlers by name and version, served through the hub: each (name, version)
 * is the service `<name>.v<version>`, and one `HubWorker` takes the jobs of all.
 *
 * @example
 * const mux = new EventMux();
 * mux.add('add', 1, (e) => newResponse(e, { sum: e.payload.first + e.payload.second }));
 * const serving = mux.serve({ hub: 'http://127.0.0.1:8080' });
 * await serving.ready;
 */
export class EventMux {
  readonly #routes = new Map<string, Route>();

  /** Serves `name` version `version` with `handler`. */
  add<P = Record<string, unknown>>(
    name: string,
    version: number,
    handler: EventHandler<P>,
    doc: EventDoc = {},
  ): this {
    this.#routes.set(eventService(name, version), {
      handler: handler as EventHandler<never>,
      doc,
    });
    return this;
  }

  /** Each (name, version) added, with its documentation. */
  docs(): { name: string; version: number; service: string; doc: EventDoc }[] {
    return [...this.#routes].map(([service, route]) => {
      const cut = service.lastIndexOf('.v');
      return {
        name: service.slice(0, cut),
        version: Number(service.slice(cut + 2)),
        service,
        doc: route.doc,
      };
    });
  }

  /**
   * Serves every (name, version) added, as one worker of all their services,
   * and once they are served sends their documentation for the hub's live
   * catalogue (`PUT /events/docs`).
   */
  serve(options: ServeOptions): ServingMux {
    const tracker = options.tracker ?? {};
    const id = options.id ?? `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 6)}`;
    const worker = new HubWorker({
      url: options.hub,
      token: options.token,
      id,
      services: [...this.#routes.keys()],
      concurrency: options.concurrency ?? 8,
      ...(options.transport && { transport: options.transport }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.backoff && { backoff: options.backoff }),
      // The context passes on whole: its signal is made only if a handler reads it.
      handler: (job, context) => this.#handle(job, context, tracker),
    });
    worker.start();
    const logger = options.logger === false ? undefined : (options.logger ?? console);
    const ready = worker.ready.then(() =>
      this.#sendDocs(options, id).catch((error: unknown) =>
        // The events are served all the same; only the catalogue lacks their words.
        logger?.warn(`switchboard: the event docs were not sent: ${(error as Error).message}`),
      ),
    );
    return {
      ready,
      closed: worker.closed,
      stop: (stopOptions) => worker.stop(stopOptions),
    };
  }

  async #sendDocs(options: ServeOptions, worker: string): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'hub-worker': worker,
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const body = JSON.stringify(
      this.docs().map(({ name, version, doc }) => ({ name, version, ...doc })),
    );
    const response = await fetch(`${options.hub.replace(/\/+$/, '')}/events/docs`, {
      method: 'PUT',
      headers,
      body,
    });
    if (response.status !== 204)
      throw new Error(`the hub answered ${response.status}: ${await response.text()}`);
  }

  async #handle(
    job: ReceivedJob,
    context: JobContext,
    tracker: EventTracker,
  ): Promise<OutgoingEvent> {
    const event = receivedEvent(job.text());
    const route = this.#routes.get(job.service);
    tracker.start?.(event);
    let response: OutgoingEvent;
    try {
      if (!route) throw new Error('Event not Found');
      const result = await route.handler(event as never, context);
      response = result instanceof OutgoingEvent ? result : newResponse(event, result);
    } catch (error) {
      tracker.error?.(event, error);
      response = newError(event.flowId, error instanceof Error ? error.message : String(error));
    }
    tracker.end?.(event, response);
    return response;
  }
}

/** An event from its text: values parsed, payload and metadata kept as sent. */
export function receivedEvent<P = Record<string, unknown>>(text: string): ReceivedEvent<P> {
  const value = JSON.parse(text) as Omit<ReceivedEvent<P>, 'rawPayload' | 'rawMetadata'>;
  const raw = rawMembers(text);
  return {
    name: value.name,
    version: value.version,
    id: value.id,
    flowId: value.flowId,
    payload: value.payload,
    rawPayload: raw.get('payload') ?? 'null',
    metadata: value.metadata,
    rawMetadata: raw.get('metadata'),
  };
}

/** An error event the hub or a handler answered, thrown by `EventClient.send`. */
export class EventError extends Error {
  /** The hub's code (docs/errors.md), or undefined for a handler's own error. */
  readonly code: string | undefined;
  readonly event: ReceivedEvent<{ message: string; code?: string }>;
  constructor(event: ReceivedEvent<{ message: string; code?: string }>) {
    super(event.payload.message);
    this.name = 'EventError';
    this.code = event.payload.code;
    this.event = event;
  }
}

export interface SendOptions {
  /** The flow this event belongs to. @default a new UUID */
  readonly flowId?: string;
  readonly metadata?: Record<string, unknown>;
  /** Milliseconds to wait for the answer (`Hub-Timeout`). */
  readonly timeout?: number;
}

/** Sends events to `POST /events` and returns their response events; an error event throws `EventError`. */
export class EventClient {
  readonly #url: string;
  readonly #headers: Record<string, string>;

  constructor(options: { readonly hub: string; readonly token?: string }) {
    this.#url = `${options.hub.replace(/\/+$/, '')}/events`;
    this.#headers = { 'content-type': 'application/json' };
    if (options.token) this.#headers.authorization = `Bearer ${options.token}`;
  }

  async send<R = Record<string, unknown>>(
    name: string,
    version: number,
    payload: unknown,
    options: SendOptions = {},
  ): Promise<ReceivedEvent<R>> {
    const event: EventEnvelope = {
      name,
      version,
      id: crypto.randomUUID(),
      flowId: options.flowId ?? crypto.randomUUID(),
      payload: JSON.stringify(payload),
      metadata: options.metadata === undefined ? undefined : JSON.stringify(options.metadata),
    };
    const headers = { ...this.#headers };
    if (options.timeout !== undefined) headers['hub-timeout'] = String(options.timeout);
    const response = await fetch(this.#url, { method: 'POST', headers, body: eventText(event) });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`POST /events answered ${response.status}: ${text.slice(0, 200)}`);
    }
    const answer = receivedEvent<R>(text);
    if (answer.name === 'error') {
      throw new EventError(answer as unknown as ReceivedEvent<{ message: string; code?: string }>);
    }
    return answer;
  }
}

import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { requireRole } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import {
  EVENT_NAME_PATTERN,
  eventOfService,
  eventService,
  MAX_EVENT_VERSION,
} from '../event-envelope.js';
import { Header } from '../protocol.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';

/** The most (name, version) pairs one worker documents in one request. */
export const MAX_DOCUMENTED_EVENTS = 100;

/**
 * The largest documentation of one (name, version), as JSON: the store keeps
 * one per service, up to HUB_MAX_SERVICES, so this bounds what it holds.
 */
export const MAX_EVENT_DOC_BYTES = 64 * 1024;

/**
 * What the catalogue keeps in all (each record as JSON): HUB_MAX_SERVICES
 * documentations of the largest size would be 640 MiB by default, and each
 * `GET /events/docs.json` serializes what is served of it.
 */
export const MAX_CATALOGUE_BYTES = 16 * 1024 * 1024;

/** Go-Events' `EventDoc`, per (name, version): text, JSON Schemas, an example. */
const DOCS = Type.Array(
  Type.Object({
    name: Type.String({ pattern: EVENT_NAME_PATTERN.source }),
    version: Type.Integer({ minimum: 1, maximum: MAX_EVENT_VERSION }),
    doc: Type.Optional(Type.String()),
    input: Type.Optional(Type.Unknown()),
    output: Type.Optional(Type.Unknown()),
    example: Type.Optional(
      Type.Object({
        request: Type.Optional(Type.Unknown()),
        response: Type.Optional(Type.Unknown()),
      }),
    ),
  }),
  { maxItems: MAX_DOCUMENTED_EVENTS },
);
const docsCheck = TypeCompiler.Compile(DOCS);

type Documented = Static<typeof DOCS>[number];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `PUT /events/docs`: a worker documents the events it serves (the SDK's
 * EventMux sends what `mux.add` was given when it starts serving). Each
 * (name, version) must be a service the worker's token may serve. 204.
 */
export async function documentEventsReply(hub: Hub, request: ExchangeRequest): Promise<Reply> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(await request.body()));
  } catch {
    throw new HubError(ErrorCode.InvalidJson, 'the body is not JSON: send an array of event docs');
  }
  if (!docsCheck.Check(value)) {
    const error = docsCheck.Errors(value).First();
    throw new HubError(
      ErrorCode.InvalidEvent,
      `${error?.path || '/'}: ${error?.message ?? 'not an array of event docs'}`,
    );
  }
  const worker = request.headers.get(Header.Worker) ?? 'anonymous';
  const at = Date.now();
  const docs = value.map((entry) => ({
    service: eventService(entry.name, entry.version),
    doc: docText(entry),
  }));
  for (const { service, doc } of docs) {
    if (request.grant) requireRole(request.grant, 'worker', service);
    if (Buffer.byteLength(doc) > MAX_EVENT_DOC_BYTES) {
      throw new HubError(
        ErrorCode.PayloadTooLarge,
        `the documentation of ${service} is ${Buffer.byteLength(doc)} bytes as JSON; at most ${MAX_EVENT_DOC_BYTES} are kept`,
      );
    }
  }
  // Every entry is checked before any is kept: a refused request keeps nothing.
  for (const { service, doc } of docs) {
    const kept = await hub.documentEvent(service, { doc, worker, at });
    if (!kept) {
      throw new HubError(
        ErrorCode.TooManyServices,
        `the catalogue holds documentation for as many services as HUB_MAX_SERVICES allows, or ${MAX_CATALOGUE_BYTES / 1024 / 1024} MiB of it in all; ${service} was not kept`,
      );
    }
  }
  return { status: 204, headers: {}, body: null };
}

function docText({ doc, input, output, example }: Documented): string {
  return JSON.stringify({ doc, input, output, example });
}

/** One (name, version) served now, as the catalogue shows it. */
export interface CatalogueEntry {
  readonly name: string;
  readonly version: number;
  readonly service: string;
  /** The workers seen within the worker window: by whom it is served. */
  readonly workers: readonly { id: string; lastSeenAt: string; inFlight: number }[];
  /** Polls parked for it on this replica now. */
  readonly waitingWorkers: number;
  /** Since when: when its documentation was sent (the worker's start), if it was. */
  readonly since: string | undefined;
  readonly documentedBy: string | undefined;
  readonly doc: string | undefined;
  readonly input: unknown;
  readonly output: unknown;
  readonly example: unknown;
}

/** Every (name, version) some worker serves now, with what its workers said of it, by name then version. */
export async function eventCatalogue(hub: Hub): Promise<CatalogueEntry[]> {
  const served = (await hub.services()).flatMap((service) => {
    const event = eventOfService(service.service);
    const live = service.workers.length > 0 || service.waitingWorkers > 0;
    return event && live ? [{ ...event, detail: service }] : [];
  });
  const docs = await hub.eventDocs(served.map((s) => s.detail.service));
  return served
    .map(({ name, version, detail }) => {
      const record = docs.get(detail.service);
      const doc = record
        ? (JSON.parse(record.doc) as Pick<CatalogueEntry, 'doc' | 'input' | 'output' | 'example'>)
        : undefined;
      return {
        name,
        version,
        service: detail.service,
        workers: detail.workers.map((w) => ({
          id: w.id,
          lastSeenAt: new Date(w.lastSeenAt).toISOString(),
          inFlight: w.inFlight,
        })),
        waitingWorkers: detail.waitingWorkers,
        since: record ? new Date(record.at).toISOString() : undefined,
        documentedBy: record?.worker,
        doc: doc?.doc,
        input: doc?.input,
        output: doc?.output,
        example: doc?.example,
      };
    })
    .sort((a, b) => (a.name === b.name ? a.version - b.version : a.name < b.name ? -1 : 1));
}

/** `GET /events/docs.json`: the catalogue as data. */
export async function catalogueReply(hub: Hub): Promise<Reply> {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
    body: JSON.stringify(await eventCatalogue(hub)),
  };
}

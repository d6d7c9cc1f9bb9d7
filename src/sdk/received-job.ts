import type { WireJob } from '../protocol.js';

/** A job as a handler sees it: the caller's request, with its body decoded once, lazily. */
export class ReceivedJob {
  readonly id: string;
  readonly service: string;
  readonly attempt: number;
  /** Epoch milliseconds after which the caller no longer waits. */
  readonly deadline: number;
  /** Milliseconds the caller still waited when the job was sent. */
  readonly remainingMs: number;
  /** The lease: the SDK heartbeats every third of it while the handler runs. */
  readonly leaseMs: number;
  readonly method: string;
  /** The path below the service, percent-encoded, starting with `/`. */
  readonly path: string;
  /** The raw query string without `?`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** The call's flow id: log it, and send it on as `Hub-Flow-Id` in calls this job makes. */
  readonly flowId: string;
  readonly #wire: WireJob;
  #bytes: Uint8Array | undefined;

  /** `bytes`: the body as a binary frame carried it (switchboard.v2), for a head without one. */
  constructor(wire: WireJob, bytes?: Uint8Array) {
    this.#wire = wire;
    this.#bytes = bytes;
    this.id = wire.id;
    this.service = wire.service;
    this.attempt = wire.attempt;
    this.deadline = wire.deadline;
    this.remainingMs = wire.remainingMs;
    this.leaseMs = wire.leaseMs;
    this.method = wire.method;
    this.path = wire.path;
    this.query = wire.query;
    this.headers = wire.headers;
    this.contentType = wire.contentType;
    this.flowId = wire.flowId;
  }

  /**
   * The caller's body: its exact bytes, as it came in a binary frame or as
   * base64 (the default); only for an HTTP worker with `exactBodies: false`, a
   * JSON body's value re-serialized.
   */
  get body(): Uint8Array {
    this.#bytes ??=
      this.#wire.encoding === 'base64'
        ? Buffer.from(this.#wire.originalRequest as string, 'base64')
        : this.#wire.originalRequest === null
          ? new Uint8Array(0)
          : Buffer.from(JSON.stringify(this.#wire.originalRequest));
    return this.#bytes;
  }

  /** The caller's JSON value (`null` for an empty body). Throws if the body is not JSON. */
  json<T = unknown>(): T {
    const exact = this.#bytes !== undefined || this.#wire.encoding === 'base64';
    if (!exact) return this.#wire.originalRequest as T;
    const text = this.text();
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  /** The caller's body as UTF-8 text. */
  text(): string {
    return Buffer.from(this.body).toString('utf8');
  }
}

/** What a caller sent, as the core carries it to a worker. */
export interface CallPayload {
  /** The caller's HTTP method: `POST` for `/service/:name`, any for `/call/:name/...`. */
  readonly method: string;
  /** The path below the service, starting with `/`, as the caller sent it (still percent-encoded). */
  readonly path: string;
  /** The raw query string without `?`; empty when there was none. */
  readonly query: string;
  /** The request body, byte for byte. */
  readonly body: Uint8Array;
  /** The caller's Content-Type, if it sent one. */
  readonly contentType: string | undefined;
  /** True when the body is JSON (already validated by the transport) and can travel as a JSON value. */
  readonly isJson: boolean;
  /** Request headers that are safe to hand to a worker (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
}

/** One unit of work: a parked call waiting for a worker's answer. */
export interface Job {
  /** Unguessable id (nanoid, 21 characters); workers answer with it. */
  readonly id: string;
  readonly service: string;
  /** 1 for the first hand-out. */
  readonly attempt: number;
  /** When the caller stops waiting, in epoch milliseconds. */
  readonly deadline: number;
  readonly payload: CallPayload;
}

/** Statuses that cannot carry a body (RFC 9110): an answer with one must be empty. */
export const BODYLESS_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/** A worker's answer, handed back to the caller as its HTTP response. */
export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  /** Further response headers the worker asked to return (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Per-service figures, as `GET /status` shows them. */
export interface ServiceStats {
  readonly service: string;
  readonly queued: number;
  readonly inFlight: number;
  readonly waitingWorkers: number;
  readonly calls: number;
  readonly answered: number;
  readonly timedOut: number;
  readonly cancelled: number;
  readonly rejected: number;
}

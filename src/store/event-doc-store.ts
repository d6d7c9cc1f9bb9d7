/**
 * The live catalogue's documentation (docs/events-protocol.md): what the
 * workers of an event's service said it does, as plain data, kept where every
 * replica reads it. Which events are served now is the store's worker list;
 * this keeps only the words.
 */

/** One service's documentation, as its worker last sent it. */
export interface EventDocRecord {
  /** The documentation as JSON text (`{doc, input, output, example}`), kept as sent. */
  readonly doc: string;
  /** The worker that sent it (`Hub-Worker`), and when (epoch ms). */
  readonly worker: string;
  readonly at: number;
}

export interface EventDocStore {
  /**
   * Keeps `doc` for `service`, replacing what it had. False (nothing kept) when
   * the store already holds documentation for `maxDocs` other services, or
   * when keeping it would take more than `maxBytes` in all.
   */
  put(service: string, record: EventDocRecord): Promise<boolean>;
  /** The documentation kept for each of `services` that has some. */
  get(services: readonly string[]): Promise<Map<string, EventDocRecord>>;
}

export interface EventDocStoreOptions {
  /** Services with documentation kept at most. */
  readonly maxDocs: number;
  /** Bytes kept at most in all, each record counted as its JSON. */
  readonly maxBytes: number;
}

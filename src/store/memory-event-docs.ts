import type { EventDocRecord, EventDocStore, EventDocStoreOptions } from './event-doc-store.js';

/** The catalogue's documentation in this process's memory (store/event-doc-store.ts). */
export class MemoryEventDocs implements EventDocStore {
  readonly #options: EventDocStoreOptions;
  readonly #docs = new Map<string, { record: EventDocRecord; bytes: number }>();
  /** What the records take in all, each counted as its JSON (as the Redis store keeps it). */
  #bytes = 0;

  constructor(options: EventDocStoreOptions) {
    this.#options = options;
  }

  async put(service: string, record: EventDocRecord): Promise<boolean> {
    const kept = this.#docs.get(service);
    if (!kept && this.#docs.size >= this.#options.maxDocs) return false;
    const bytes = Buffer.byteLength(JSON.stringify(record));
    const total = this.#bytes - (kept?.bytes ?? 0) + bytes;
    if (total > this.#options.maxBytes) return false;
    this.#docs.set(service, { record, bytes });
    this.#bytes = total;
    return true;
  }

  async get(services: readonly string[]): Promise<Map<string, EventDocRecord>> {
    const found = new Map<string, EventDocRecord>();
    for (const service of services) {
      const kept = this.#docs.get(service);
      if (kept) found.set(service, kept.record);
    }
    return found;
  }
}

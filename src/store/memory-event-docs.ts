import type { EventDocRecord, EventDocStore, EventDocStoreOptions } from './event-doc-store.js';

/** The catalogue's documentation in this process's memory (store/event-doc-store.ts). */
export class MemoryEventDocs implements EventDocStore {
  readonly #options: EventDocStoreOptions;
  readonly #docs = new Map<string, EventDocRecord>();

  constructor(options: EventDocStoreOptions) {
    this.#options = options;
  }

  async put(service: string, record: EventDocRecord): Promise<boolean> {
    if (!this.#docs.has(service) && this.#docs.size >= this.#options.maxDocs) return false;
    this.#docs.set(service, record);
    return true;
  }

  async get(services: readonly string[]): Promise<Map<string, EventDocRecord>> {
    const found = new Map<string, EventDocRecord>();
    for (const service of services) {
      const record = this.#docs.get(service);
      if (record) found.set(service, record);
    }
    return found;
  }
}

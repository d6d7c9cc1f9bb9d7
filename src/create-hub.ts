import type { Config } from './config.js';
import { Hub } from './core/hub.js';
import { MemoryStore } from './store/memory-store.js';

/** A hub on the embedded in-memory store, wired from a loaded config. */
export function createHub(config: Config): Hub {
  const store = new MemoryStore({
    maxQueuedPerService: config.maxQueuedPerService,
    maxServices: config.maxServices,
    finishedJobTtlMs: config.finishedJobTtlMs,
    maxFinishedJobs: config.maxFinishedJobs,
  });
  return new Hub(store, config);
}

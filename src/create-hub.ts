import type { Config } from './config.js';
import { Hub } from './core/hub.js';
import { MemoryStore } from './store/memory-store.js';

/** How long `GET /services` lists a worker after its last request when no-responders is off. */
const DEFAULT_WORKER_WINDOW_MS = 10_000;

/** A hub on the embedded in-memory store, wired from a loaded config. */
export function createHub(config: Config): Hub {
  const store = new MemoryStore({
    maxQueuedPerService: config.maxQueuedPerService,
    maxServices: config.maxServices,
    finishedJobTtlMs: config.finishedJobTtlMs,
    maxFinishedJobs: config.maxFinishedJobs,
    leaseMs: config.leaseMs,
    workerWindowMs: config.noWorkersMs > 0 ? config.noWorkersMs : DEFAULT_WORKER_WINDOW_MS,
  });
  return new Hub(store, config);
}

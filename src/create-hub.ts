import type { Config } from './config.js';
import { Hub } from './core/hub.js';
import { MAX_CATALOGUE_BYTES } from './exchange/event-catalogue.js';
import { WebhookTargets, webhookSender as webhookSenderOf } from './http/webhook-sender.js';
import { ASTROHUB_SERVICE_NAME_PATTERN } from './protocol.js';
import type { JobStore, StoreOptions } from './store/job-store.js';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore } from './store/redis/redis-store.js';

/** How long `GET /services` lists a worker after its last request when no-responders is off. */
const DEFAULT_WORKER_WINDOW_MS = 10_000;

/**
 * A hub on the store `HUB_STORE` names (memory, or Redis shared by replicas),
 * wired from a loaded config. Its `opened` resolves once the store is
 * connected and its feed live. AstroHub's
 * compatibility mode (docs/astrohub.md) changes three things here: calls park
 * with no worker seen, jobs are not handed out again behind a worker that never
 * heartbeats, and service names may hold `:`.
 */
export function createHub(config: Config): Hub {
  const astrohub = config.compat === 'astrohub';
  const store = storeOf(config, {
    maxQueuedPerService: config.maxQueuedPerService,
    maxServices: config.maxServices,
    maxWorkersPerService: config.maxWorkersPerService,
    results: {
      ttlMs: config.resultTtlMs,
      maxResults: config.maxResults,
      maxBytes: config.maxResultBytes,
      maxResultsPerService: config.maxResultsPerService,
      maxBytesPerService: config.maxResultBytesPerService,
    },
    finishedJobTtlMs: config.finishedJobTtlMs,
    maxFinishedJobs: config.maxFinishedJobs,
    leaseMs: config.leaseMs,
    workerWindowMs: config.noWorkersMs > 0 ? config.noWorkersMs : DEFAULT_WORKER_WINDOW_MS,
    leaseAfterFirstHeartbeat: astrohub,
    eventDocs: { maxDocs: config.maxServices, maxBytes: MAX_CATALOGUE_BYTES },
    webhooks: {
      maxWebhooks: config.maxWebhooks,
      maxDeadLetters: config.webhookMaxDeadLetters,
    },
    topics: {
      maxTopics: config.maxTopics,
      maxBytes: config.topicsMaxBytes,
      retention: {
        maxAgeMs: config.topicMaxAgeMs,
        maxMessages: config.topicMaxMessages,
        maxBytes: config.topicMaxBytes,
        discard: config.topicDiscard,
      },
    },
  });
  const webhookSender = webhookSenderOf(
    new WebhookTargets({ allow: config.webhookAllowNetworks, deny: config.webhookDenyNetworks }),
  );
  return astrohub
    ? new Hub(store, {
        ...config,
        webhookSender,
        noWorkersMs: 0,
        serviceNamePattern: ASTROHUB_SERVICE_NAME_PATTERN,
      })
    : new Hub(store, { ...config, webhookSender });
}

function storeOf(config: Config, options: StoreOptions): JobStore {
  if (config.store === 'redis') {
    return new RedisStore({
      ...options,
      url: config.redisUrl,
      prefix: config.redisPrefix,
      timeoutMs: config.redisTimeoutMs,
    });
  }
  return new MemoryStore(options);
}

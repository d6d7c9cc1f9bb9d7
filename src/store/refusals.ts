import { ErrorCode, HubError } from '../errors.js';

/**
 * The errors a store refuses an enqueue with, worded once for every store: the
 * store knows the figures, the words are the same whoever keeps the queues.
 */
export const refusals = {
  queueFull: (service: string, queued: number) =>
    new HubError(ErrorCode.QueueFull, `service '${service}' already has ${queued} queued jobs`),

  tooManyServices: (service: string, tracked: number) =>
    new HubError(
      ErrorCode.TooManyServices,
      `cannot track service '${service}': ${tracked} services are busy`,
    ),

  /** `lastSeenAt` 0: never seen; `since` is when the store started counting. */
  noWorkers: (service: string, now: number, lastSeenAt: number, since: number) =>
    new HubError(
      ErrorCode.NoWorkers,
      lastSeenAt > 0
        ? `no worker of '${service}' has been seen for ${now - lastSeenAt} ms`
        : `no worker of '${service}' has been seen since the hub started ${now - since} ms ago`,
    ),
};

/** The errors a store refuses a publish with, worded once for every store. */
export const topicRefusals = {
  topicFull: (topic: string, messages: number, bytes: number) =>
    new HubError(
      ErrorCode.TopicFull,
      `topic '${topic}' is full: it keeps ${messages} messages, ${bytes} bytes, that no pull has had; pull them, let them age out, or set its discard to 'old'`,
    ),

  topicsFull: (bytes: number) =>
    new HubError(
      ErrorCode.TopicsFull,
      `the hub's topics already hold ${bytes} bytes (HUB_TOPICS_MAX_BYTES)`,
    ),

  tooManyWebhooks: (webhooks: number) =>
    new HubError(
      ErrorCode.TooManyWebhooks,
      `cannot register a webhook: ${webhooks} are registered (HUB_MAX_WEBHOOKS)`,
    ),

  tooManyTopics: (topic: string, topics: number) =>
    new HubError(
      ErrorCode.TooManyTopics,
      `cannot create topic '${topic}': ${topics} topics exist (HUB_MAX_TOPICS)`,
    ),
};

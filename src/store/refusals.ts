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

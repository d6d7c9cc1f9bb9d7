export type { HubStatus, ServiceStats } from '../protocol.js';
export {
  type CallOptions,
  HubClient,
  type HubClientOptions,
  type HubResponse,
  type Transport,
} from './client.js';
export {
  HUB_UNREACHABLE,
  HubClientError,
  isHubClientError,
  WEBSOCKET_REFUSED,
} from './errors.js';
export {
  EventClient,
  type EventDoc,
  EventError,
  type EventHandler,
  EventMux,
  type EventTracker,
  newError,
  newResponse,
  OutgoingEvent,
  type ReceivedEvent,
  type SendOptions,
  type ServeOptions,
  type ServingMux,
} from './events.js';
export { ReceivedJob } from './received-job.js';
export { type FetchHandler, type ServeFetchOptions, serveFetch } from './serve-fetch.js';
export type {
  SubscribeFrom,
  SubscribeOptions,
  Subscription,
  TopicMessage,
} from './topics.js';
export { type VerifyWebhookOptions, verifyWebhook } from './verify-webhook.js';
export {
  HubWorker,
  type HubWorkerOptions,
  type JobContext,
  type JobHandler,
  type WorkerLogger,
} from './worker.js';

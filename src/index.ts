export { type Config, ConfigError, loadConfig } from './config.js';
export type { CallInput, HubOptions, TakeInput } from './core/hub.js';
export { Hub } from './core/hub.js';
export { createHub } from './create-hub.js';
export type { Answer, CallPayload, Job } from './domain/job.js';
export { ErrorCode, HubError, isHubError } from './errors.js';
export { createApp } from './http/app.js';
export { type RunningServer, startServer } from './http/server.js';
export { log, startLogging } from './log.js';
export {
  type ErrorBody,
  Header,
  type HubStatus,
  SERVICE_NAME_PATTERN,
  type ServiceStats,
  type WireJob,
} from './protocol.js';
export type { JobStore } from './store/job-store.js';
export { MemoryStore } from './store/memory-store.js';

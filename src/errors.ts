/**
 * Every error the hub itself produces carries one of these stable codes. Clients
 * branch on the code, never on the message. HTTP statuses live in
 * `http/error-status.ts`, so the core stays free of transport concerns.
 * docs/errors.md lists each code; a test keeps the two in step.
 */
export const ErrorCode = {
  InvalidJson: 'invalid_json',
  InvalidServiceName: 'invalid_service_name',
  InvalidTimeout: 'invalid_timeout',
  InvalidStatus: 'invalid_status',
  InvalidEncoding: 'invalid_encoding',
  InvalidHeader: 'invalid_header',
  InvalidBatch: 'invalid_batch',
  InvalidFrame: 'invalid_frame',
  InvalidTopicName: 'invalid_topic_name',
  InvalidEvent: 'invalid_event',
  InvalidRetention: 'invalid_retention',
  PayloadTooLarge: 'payload_too_large',
  NotFound: 'not_found',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  MethodNotAllowed: 'method_not_allowed',
  UnknownJob: 'unknown_job',
  UnknownTopic: 'unknown_topic',
  UnknownWebhook: 'unknown_webhook',
  NoMessages: 'no_messages',
  NotHeld: 'not_held',
  AlreadyAnswered: 'already_answered',
  CallerGone: 'caller_gone',
  LeaseLost: 'lease_lost',
  WorkerFailed: 'worker_failed',
  Timeout: 'timeout',
  QueueTimeout: 'queue_timeout',
  Cancelled: 'cancelled',
  IdempotencyKeyReused: 'idempotency_key_reused',
  QueueFull: 'queue_full',
  NoWorkers: 'no_workers',
  HubFull: 'hub_full',
  ServiceFull: 'service_full',
  TooManyServices: 'too_many_services',
  TopicFull: 'topic_full',
  TopicsFull: 'topics_full',
  TooManyTopics: 'too_many_topics',
  TooManyWebhooks: 'too_many_webhooks',
  ShuttingDown: 'shutting_down',
  StoreUnavailable: 'store_unavailable',
  Internal: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class of the hub: a stable `code`, a human message, an optional cause. */
export class HubError extends Error {
  override readonly name = 'HubError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isHubError(value: unknown): value is HubError {
  return value instanceof HubError;
}

/**
 * A client's value as an error message repeats it: cut to 40 characters, so a
 * hostile value cannot make an error body large, yet enough to recognise it.
 */
export function echoed(value: string): string {
  return value.slice(0, 40);
}

/**
 * The shared store cannot be reached: worded once for the store that fails a
 * request and the hub that reports itself not ready. `why`: what the client
 * library said, when it said anything.
 */
export function storeUnavailable(why?: string, cause?: unknown): HubError {
  return new HubError(
    ErrorCode.StoreUnavailable,
    `the job store cannot be reached${why ? `: ${why}` : ''}`,
    cause === undefined ? undefined : { cause },
  );
}

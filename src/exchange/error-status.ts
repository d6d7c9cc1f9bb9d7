import { ErrorCode, HubError, isHubError } from '../errors.js';
import { log } from '../log.js';
import { type ErrorBody, Header } from '../protocol.js';
import type { Reply } from './reply.js';

/** The one place where an error code becomes an HTTP status. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidJson]: 400,
  [ErrorCode.InvalidServiceName]: 400,
  [ErrorCode.InvalidTimeout]: 400,
  [ErrorCode.InvalidStatus]: 400,
  [ErrorCode.InvalidEncoding]: 400,
  [ErrorCode.InvalidHeader]: 400,
  [ErrorCode.InvalidBatch]: 400,
  [ErrorCode.InvalidFrame]: 400,
  [ErrorCode.InvalidTopicName]: 400,
  [ErrorCode.InvalidEvent]: 400,
  [ErrorCode.InvalidRetention]: 400,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.UnknownJob]: 404,
  [ErrorCode.UnknownTopic]: 404,
  [ErrorCode.UnknownWebhook]: 404,
  [ErrorCode.NoMessages]: 404,
  [ErrorCode.NotHeld]: 409,
  [ErrorCode.AlreadyAnswered]: 409,
  [ErrorCode.CallerGone]: 410,
  [ErrorCode.LeaseLost]: 409,
  [ErrorCode.WorkerFailed]: 502,
  [ErrorCode.Timeout]: 504,
  [ErrorCode.QueueTimeout]: 504,
  // Nobody reads it (the caller has gone); 499 is the convention proxies log.
  [ErrorCode.Cancelled]: 499,
  [ErrorCode.IdempotencyKeyReused]: 422,
  [ErrorCode.QueueFull]: 503,
  [ErrorCode.NoWorkers]: 503,
  [ErrorCode.HubFull]: 503,
  [ErrorCode.ServiceFull]: 503,
  [ErrorCode.TooManyServices]: 503,
  [ErrorCode.TopicFull]: 503,
  [ErrorCode.TopicsFull]: 503,
  [ErrorCode.TooManyTopics]: 503,
  [ErrorCode.TooManyWebhooks]: 503,
  [ErrorCode.ShuttingDown]: 503,
  [ErrorCode.StoreUnavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** Codes that mean "try again shortly": their responses carry `Retry-After`. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.QueueFull]: 1,
  [ErrorCode.NoWorkers]: 1,
  [ErrorCode.HubFull]: 1,
  [ErrorCode.ServiceFull]: 1,
  [ErrorCode.TooManyServices]: 1,
  [ErrorCode.TopicFull]: 1,
  [ErrorCode.TopicsFull]: 1,
  [ErrorCode.TooManyTopics]: 1,
  [ErrorCode.ShuttingDown]: 1,
  [ErrorCode.StoreUnavailable]: 1,
};

/** Any error as the hub's JSON error reply; unknown errors become `internal_error`. */
export function errorReply(error: unknown, extraHeaders: Record<string, string> = {}): Reply {
  const hubError = isHubError(error)
    ? error
    : new HubError(ErrorCode.Internal, 'internal error', { cause: error });
  const body: ErrorBody = { error: { code: hubError.code, message: hubError.message } };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [Header.Error]: hubError.code,
    ...extraHeaders,
  };
  const retryAfter = RETRY_AFTER_SECONDS[hubError.code];
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return { status: ERROR_STATUS[hubError.code], headers, body: JSON.stringify(body) };
}

/** The reply to a request whose handler threw. */
export function failureReply(error: unknown): Reply {
  // A HubError is an answer; anything else is a bug worth a stack trace.
  if (!isHubError(error)) log.error({ err: error }, 'a request failed inside the hub');
  return errorReply(error);
}

/** The refusal of a request body over `maxBytes`, on every channel. */
export function payloadTooLarge(maxBytes: number): HubError {
  return new HubError(ErrorCode.PayloadTooLarge, `the body is larger than ${maxBytes} bytes`);
}

/** 405 with `Allow`: a known path asked with a method it does not take. */
export function methodNotAllowedReply(method: string, allowed: readonly string[]): Reply {
  const allow = allowed.join(', ');
  return errorReply(
    new HubError(ErrorCode.MethodNotAllowed, `${method} is not allowed here; use ${allow}`),
    { allow },
  );
}

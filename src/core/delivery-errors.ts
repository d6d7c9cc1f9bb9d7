import { ErrorCode, HubError } from '../errors.js';
import type { DeliveryGone } from '../store/job-store.js';

/** The error a worker gets for a request on a delivery that is no longer current ([P-ANSWER-ONCE], [P-LEASE]). */
export function deliveryGoneError(id: string, gone: DeliveryGone): HubError {
  switch (gone) {
    case 'answered':
      return new HubError(ErrorCode.AlreadyAnswered, `job '${id}' was already answered`);
    case 'caller_gone':
      return new HubError(ErrorCode.CallerGone, `the caller of job '${id}' is no longer waiting`);
    case 'lease_lost':
      return new HubError(
        ErrorCode.LeaseLost,
        `job '${id}' is no longer yours: its lease expired or a failure was reported, and it was handed on or failed`,
      );
    default:
      return new HubError(ErrorCode.UnknownJob, `no job '${id}' is in flight`);
  }
}

/** Whether a store's reply is a delivery that is gone rather than a result. */
export function isGone(value: unknown): value is DeliveryGone {
  return typeof value === 'string' && GONE.has(value);
}

const GONE: ReadonlySet<string> = new Set(['unknown', 'answered', 'caller_gone', 'lease_lost']);

/**
 * The range checks of the core's inputs: each returns the value to use or throws
 * a HubError naming the input, its range and what came. Never clamped: a value
 * out of range is a client's mistake worth hearing about.
 */
import { ErrorCode, HubError } from '../errors.js';
import { MAX_BATCH_JOBS } from '../protocol.js';

/** A millisecond count from `min` to `max`; `fallback` when absent. */
export function checkTimeout(
  value: number | undefined,
  min: number,
  max: number,
  { fallback, what }: { fallback: number; what: string },
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HubError(
      ErrorCode.InvalidTimeout,
      `${what} must be a whole number of milliseconds from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/** A call's `Hub-Max-Attempts`, from 1 to the configured maximum; the maximum when absent. */
export function checkMaxAttempts(value: number | undefined, max: number): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `Hub-Max-Attempts must be a whole number from 1 to ${max}, got ${value}`,
    );
  }
  return value;
}

/** The size of a batch take, from 1 to MAX_BATCH_JOBS. */
export function checkBatchSize(max: number): void {
  if (!Number.isInteger(max) || max < 1 || max > MAX_BATCH_JOBS) {
    throw new HubError(
      ErrorCode.InvalidBatch,
      `a batch take asks for 1 to ${MAX_BATCH_JOBS} jobs, got ${max}`,
    );
  }
}

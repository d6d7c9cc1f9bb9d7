import { ErrorCode, HubError } from '../errors.js';

const DIGITS = /^[0-9]{1,15}$/;

/**
 * Parses a millisecond count from a header or query value. Only plain digits are
 * accepted: '1.5', '-1', '1e3' and ' 10' are errors, never rounded or clamped.
 */
export function parseMilliseconds(raw: string | undefined, source: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!DIGITS.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidTimeout,
      `${source} must be a whole number of milliseconds, got '${raw.slice(0, 40)}'`,
    );
  }
  return Number(raw);
}

/** Parses `Hub-Status`; the range itself is the core's rule. */
export function parseStatus(raw: string | undefined): number {
  if (raw === undefined) return 200;
  if (!/^[0-9]{3}$/.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidStatus,
      `Hub-Status must be a three-digit status code, got '${raw.slice(0, 40)}'`,
    );
  }
  return Number(raw);
}

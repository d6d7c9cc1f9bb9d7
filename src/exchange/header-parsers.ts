import { ErrorCode, echoed, HubError } from '../errors.js';
import { WORKER_ID_PATTERN } from '../protocol.js';

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
      `${source} must be a whole number of milliseconds, got '${echoed(raw)}'`,
    );
  }
  return Number(raw);
}

/** Parses a count such as `Hub-Max-Attempts`: digits only; the range itself is the core's rule. */
export function parseCount(raw: string | undefined, source: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!DIGITS.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `${source} must be a whole number, got '${echoed(raw)}'`,
    );
  }
  return Number(raw);
}

/** Parses `?max`, the size of a batch take: digits only; the range itself is the core's rule. */
export function parseBatchSize(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!DIGITS.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidBatch,
      `?max must be a whole number of jobs, got '${echoed(raw)}'`,
    );
  }
  return Number(raw);
}

/** Parses `Hub-No-Workers`: `queue` parks the call even with no worker seen; `fail` (the default) does not. */
export function parseQueueWithoutWorkers(raw: string | undefined): boolean {
  if (raw === undefined || raw === 'fail') return false;
  if (raw === 'queue') return true;
  throw new HubError(
    ErrorCode.InvalidHeader,
    `Hub-No-Workers must be 'queue' or 'fail', got '${echoed(raw)}'`,
  );
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Parses `Idempotency-Key`: 1 to 255 visible ASCII characters. */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined || IDEMPOTENCY_KEY.test(raw)) return raw;
  throw new HubError(
    ErrorCode.InvalidHeader,
    'Idempotency-Key must be 1 to 255 visible ASCII characters',
  );
}

/** What a `Prefer` header asks for (RFC 7240); preferences the hub does not know are ignored. */
export interface Preferences {
  readonly respondAsync: boolean;
  /** `wait=<seconds>`, in milliseconds. */
  readonly waitMs: number | undefined;
}

export function parsePrefer(raw: string | undefined): Preferences {
  let respondAsync = false;
  let waitMs: number | undefined;
  for (const preference of (raw ?? '').split(',')) {
    const [name = '', value = ''] = (preference.split(';', 1)[0] ?? '').split('=', 2);
    const token = name.trim().toLowerCase();
    if (token === 'respond-async') respondAsync = true;
    const seconds = value.trim().replace(/^"(.*)"$/, '$1');
    if (token === 'wait' && /^[0-9]{1,6}$/.test(seconds)) waitMs = Number(seconds) * 1000;
  }
  return { respondAsync, waitMs };
}

/** Parses `Hub-Worker`: 1 to 128 visible ASCII characters. */
export function parseWorkerId(raw: string | undefined): string | undefined {
  if (raw === undefined || WORKER_ID_PATTERN.test(raw)) return raw;
  throw new HubError(
    ErrorCode.InvalidHeader,
    'Hub-Worker must be 1 to 128 visible ASCII characters',
  );
}

/** Parses `Hub-Status`; the range itself is the core's rule. */
export function parseStatus(raw: string | undefined): number {
  if (raw === undefined) return 200;
  if (!/^[0-9]{3}$/.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidStatus,
      `Hub-Status must be a three-digit status code, got '${echoed(raw)}'`,
    );
  }
  return Number(raw);
}

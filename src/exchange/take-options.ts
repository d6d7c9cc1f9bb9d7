import { ErrorCode, echoed, HubError } from '../errors.js';
import { Header } from '../protocol.js';
import { parseBatchSize, parseMilliseconds, parseWorkerId } from './header-parsers.js';
import type { ExchangeRequest } from './request.js';

/** What a worker asks of a take: how long to wait, and whether every body should come as base64. */
export interface TakeOptions {
  readonly timeoutMs: number | undefined;
  readonly base64: boolean;
  /** From `Hub-Worker`; anonymous when absent. */
  readonly workerId: string | undefined;
  /** `?max`: a batch take of up to this many jobs, answered as an array; one job, as an object, when absent. */
  readonly max: number | undefined;
}

/**
 * Reads `Hub-Timeout` (or `?timeout`) and `?encoding` from a poll or an
 * answer-and-take. In AstroHub's compatibility mode every body travels as base64,
 * which is what AstroHub's Go workers decode into their `[]byte`.
 */
export function takeOptions(
  request: ExchangeRequest,
  hubOptions: { compat: '' | 'astrohub' },
): TakeOptions {
  const { headers } = request;
  const base64 = wantsBase64(request.query('encoding'));
  return {
    timeoutMs: parseMilliseconds(
      headers.get(Header.Timeout) ?? request.query('timeout'),
      'Hub-Timeout (or ?timeout)',
    ),
    base64: base64 || hubOptions.compat === 'astrohub',
    workerId: parseWorkerId(headers.get(Header.Worker)),
    max: parseBatchSize(request.query('max')),
  };
}

function wantsBase64(encoding: string | undefined): boolean {
  if (encoding === undefined) return false;
  if (encoding === 'base64') return true;
  throw new HubError(
    ErrorCode.InvalidEncoding,
    `?encoding accepts only 'base64', got '${echoed(encoding)}'`,
  );
}

import type { AnswerHeaders } from '../domain/job.js';
import {
  isForwardedRequestHeader,
  isReturnableAnswerHeader,
  RETURNED_HEADER_PREFIX,
  UNJOINABLE_HEADER,
} from '../protocol.js';

/**
 * Reads which headers cross the hub out of a request, by protocol.ts's rules
 * ([P-FORWARD], [P-ANSWER-HEADERS]): a caller's headers into its job, a worker's
 * `Hub-Header-*` headers or answer batch heads into its caller's response.
 */

/** Anything that lists headers as (value, lower-case name): fetch `Headers` or `RequestHeaders`. */
export interface HeaderSource {
  forEach(visit: (value: string, name: string) => void): void;
}

/** A `HeaderSource` that can also list a repeated header's values one by one. */
export interface DistinctHeaderSource extends HeaderSource {
  distinct(name: string): string[];
}

export function forwardedRequestHeaders(headers: HeaderSource): Record<string, string> {
  const forwarded: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (isForwardedRequestHeader(name)) forwarded[name] = value;
  });
  return forwarded;
}

/**
 * A worker returns a response header by sending it prefixed: `Hub-Header-Cache-Control: no-store`
 * gives the caller `Cache-Control: no-store`. The worker's other request headers (its own
 * User-Agent, Host, ...) are not the caller's business. A worker cannot forge `Hub-*` headers.
 */
export function returnedAnswerHeaders(headers: DistinctHeaderSource): AnswerHeaders {
  const returned: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    if (!name.startsWith(RETURNED_HEADER_PREFIX)) return;
    const target = name.slice(RETURNED_HEADER_PREFIX.length);
    if (!isReturnableAnswerHeader(target)) return;
    returned[target] = target === UNJOINABLE_HEADER ? headers.distinct(name) : value;
  });
  return returned;
}

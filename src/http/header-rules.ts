import type { AnswerHeaders } from '../core/types.js';

/**
 * Which headers cross the hub, in one place. docs/protocol.md ([P-FORWARD],
 * [P-ANSWER-HEADERS]) is the prose version of these two functions.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1) and framing the hub redoes itself. */
const CONNECTION_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
];

/**
 * Request headers a worker never sees: connection headers, `Host` and `Expect`,
 * `Content-Type` (it travels as the job's `contentType`), and credentials meant
 * for the hub or the gateway. `Hub-*` headers are instructions to the hub.
 */
const WITHHELD_REQUEST_HEADERS = new Set([
  ...CONNECTION_HEADERS,
  'host',
  'expect',
  'content-type',
  'authorization',
  'proxy-authorization',
  'proxy-authenticate',
  'cookie',
]);

/** Answer headers that `Hub-Header-*` cannot set: connection headers, and `Content-Type`, which has its own header. */
const WITHHELD_ANSWER_HEADERS = new Set([...CONNECTION_HEADERS, 'content-type']);

const RETURN_PREFIX = 'hub-header-';

/** Anything that lists headers as (value, lower-case name): fetch `Headers` or `RequestHeaders`. */
export interface HeaderSource {
  forEach(visit: (value: string, name: string) => void): void;
}

/** A `HeaderSource` that can also list a repeated header's values one by one. */
export interface DistinctHeaderSource extends HeaderSource {
  distinct(name: string): string[];
}

/** Headers whose values cannot be joined with commas: each travels on its own line. */
const UNJOINABLE = 'set-cookie';

export function forwardedRequestHeaders(headers: HeaderSource): Record<string, string> {
  const forwarded: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!WITHHELD_REQUEST_HEADERS.has(name) && !name.startsWith('hub-')) forwarded[name] = value;
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
    if (!name.startsWith(RETURN_PREFIX)) return;
    const target = name.slice(RETURN_PREFIX.length);
    if (!isReturnable(target)) return;
    returned[target] = target === UNJOINABLE ? headers.distinct(name) : value;
  });
  return returned;
}

/**
 * An answer batch names the caller's headers without the prefix; the same ones
 * are dropped. A value may be a list (each `Set-Cookie`), and names that differ
 * only in case are one header: their values are kept together, in order.
 */
export function batchAnswerHeaders(
  headers: Readonly<Record<string, string | readonly string[]>>,
): AnswerHeaders {
  const returned: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const target = name.toLowerCase();
    if (!isReturnable(target)) continue;
    const before = returned[target];
    if (before === undefined) {
      returned[target] = typeof value === 'string' ? value : [...value];
    } else {
      const values = [...(typeof before === 'string' ? [before] : before), ...value];
      returned[target] = target === UNJOINABLE ? values : values.join(', ');
    }
  }
  return returned;
}

function isReturnable(name: string): boolean {
  return name !== '' && !WITHHELD_ANSWER_HEADERS.has(name) && !name.startsWith('hub-');
}

import { getQueryParam } from 'hono/utils/url';
import type { Exchange } from './table.js';

/** An exchange found for a request, with its path parameters. */
export interface ExchangeMatch {
  readonly exchange: Exchange;
  readonly params: Readonly<Record<string, string>>;
}

/** Finds the exchange of a method and a path (no query); undefined for any other. */
export type ExchangeMatcher = (method: string, path: string) => ExchangeMatch | undefined;

interface CompiledPattern {
  readonly exchange: Exchange;
  /** The pattern's segments: literals, `:params` and a trailing `*`. */
  readonly segments: readonly string[];
  readonly rest: boolean;
}

/**
 * The matcher of the channels that do not go through Hono's router: the
 * node:http fast path and WebSocket request frames. It matches a path as Hono's
 * router matches the same pattern, for the paths it is given: plain ones
 * (`isPlainTarget`), with no empty segment (`/call/users/` and `//` are left to
 * the app, which reads them in its own way). HEAD is never matched: the app
 * answers it (a GET's handler, its body dropped).
 */
export function exchangeMatcher(table: readonly Exchange[]): ExchangeMatcher {
  const patterns: CompiledPattern[] = table.flatMap((exchange) =>
    exchange.paths.map((path) => {
      const segments = path.split('/').slice(1);
      const rest = segments[segments.length - 1] === '*';
      return { exchange, segments: rest ? segments.slice(0, -1) : segments, rest };
    }),
  );
  return (method, path) => {
    if (method === 'HEAD') return undefined;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) if (parts[i] === '') return undefined;
    for (const { exchange, segments, rest } of patterns) {
      if (exchange.method !== method && exchange.method !== 'ALL') continue;
      const params = matchSegments(segments, rest, parts);
      if (params) return { exchange, params };
    }
    return undefined;
  };
}

function matchSegments(
  segments: readonly string[],
  rest: boolean,
  parts: readonly string[],
): Record<string, string> | undefined {
  const count = parts.length - 1;
  if (rest ? count <= segments.length : count !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i + 1] as string;
    if (segment.charCodeAt(0) === COLON) params[segment.slice(1)] = part;
    else if (segment !== part) return undefined;
  }
  return params;
}

const COLON = 0x3a;

/**
 * Whether a request target is one the matcher reads exactly as Hono's app would:
 * plain characters only (nothing percent-encoded, which Hono would decode) and no
 * dot segments (which `new URL` folds). Anything else goes to the app.
 */
export function isPlainTarget(target: string): boolean {
  return PLAIN_TARGET.test(target) && !(target.includes('/.') && DOT_SEGMENT.test(target));
}

const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;

/** A query parameter as Hono's `c.req.query(name)` reads it (decoded, the first of repeats). */
export function queryParam(target: string, queryStart: number, name: string): string | undefined {
  if (queryStart === -1) return undefined;
  // getQueryParam takes a whole URL and looks for its '?' past the scheme and host.
  return getQueryParam(`http://h${target}`, name) as string | undefined;
}

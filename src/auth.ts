import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config.js';
import { ErrorCode, HubError } from './errors.js';
import { TOKEN_NEEDED } from './protocol.js';

/** What a token may do. `admin` may do everything, on every service. */
export type Role = 'caller' | 'worker' | 'admin';

/** One token's rights, as the routes check them; the token itself is not kept. */
export interface Grant {
  readonly name: string;
  readonly role: Role;
  /** The services it may call or serve; `all` for every one. */
  readonly services: ReadonlySet<string> | 'all';
  /** The topics it may publish to, and pull from or subscribe to (docs/events.md); none unless listed. */
  readonly topics: Readonly<Record<TopicAction, ReadonlySet<string> | 'all'>>;
}

/** What a token may do with a topic: publish to it, or read it (pull, cursor, subscribe). */
export type TopicAction = 'publish' | 'subscribe';

interface StoredToken extends Grant {
  readonly digest: Buffer;
}

const ROLES: ReadonlySet<string> = new Set(['caller', 'worker', 'admin']);
/** Shorter tokens are guessable; the docs suggest `openssl rand -hex 32`. */
const MIN_TOKEN_LENGTH = 16;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The configured bearer tokens. Tokens are kept only as SHA-256 digests and
 * compared with `timingSafeEqual` against every entry, without stopping at a
 * match, so the time taken says nothing about which token, or how much of one,
 * was right.
 */
export class TokenTable {
  readonly #tokens: readonly StoredToken[];

  constructor(tokens: readonly StoredToken[]) {
    this.#tokens = tokens;
  }

  /** The grant of an `Authorization: Bearer <token>` header; throws `unauthorized`. */
  authenticate(authorization: string | undefined): Grant {
    if (authorization === undefined) throw new HubError(ErrorCode.Unauthorized, TOKEN_NEEDED);
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match?.[1]) {
      throw new HubError(ErrorCode.Unauthorized, 'send one Authorization: Bearer <token>');
    }
    const digest = sha256(match[1]);
    let found: Grant | undefined;
    for (const token of this.#tokens) {
      if (timingSafeEqual(token.digest, digest) && !found) found = token;
    }
    if (!found) throw new HubError(ErrorCode.Unauthorized, 'unknown token');
    return found;
  }
}

/** True when `grant` may act as `role` on `service` (any service when undefined). */
export function allows(grant: Grant, role: Role, service?: string): boolean {
  if (grant.role === 'admin') return true;
  if (grant.role !== role) return false;
  return service === undefined || grant.services === 'all' || grant.services.has(service);
}

/** Throws `forbidden` unless the grant may `action` on `topic` (admin may anything). */
export function requireTopic(grant: Grant, action: TopicAction, topic: string): void {
  if (grant.role === 'admin') return;
  const allowed = grant.topics[action];
  if (allowed === 'all' || allowed.has(topic)) return;
  throw new HubError(
    ErrorCode.Forbidden,
    `token '${grant.name}' may not ${action} to topic '${topic}': list it in the token's "${action}"`,
  );
}

/** Throws `forbidden` unless `allows(grant, role, service)`. */
export function requireRole(grant: Grant, role: Role, service?: string): void {
  if (allows(grant, role, service)) return;
  const what = service === undefined ? `${role} routes` : `${role} routes of '${service}'`;
  throw new HubError(ErrorCode.Forbidden, `token '${grant.name}' may not use ${what}`);
}

/**
 * Reads the tokens from `HUB_AUTH_FILE`, or `HUB_AUTH_TOKENS` inline; undefined
 * when neither is set (auth off). Throws `ConfigError` for anything malformed, so
 * a typo never silently turns auth off.
 */
export function loadTokens(config: {
  authFile: string;
  authTokens: string;
}): TokenTable | undefined {
  let text: string;
  let source: string;
  if (config.authFile !== '') {
    // The same setting comes from the flag or the variable: the message names both.
    source = '--auth-file (HUB_AUTH_FILE)';
    try {
      text = readFileSync(config.authFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Invalid ${source}: cannot read ${config.authFile} (${(error as Error).message})`,
      );
    }
  } else if (config.authTokens !== '') {
    source = 'HUB_AUTH_TOKENS';
    text = config.authTokens;
  } else {
    return undefined;
  }
  return new TokenTable(parseTokens(text, source));
}

function parseTokens(text: string, source: string): StoredToken[] {
  const fail = (why: string) => new ConfigError(`Invalid ${source}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('not valid JSON');
  }
  const list = (value as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list) || list.length === 0)
    throw fail('expected {"tokens": [...]} with at least one token');
  const seen = new Set<string>();
  const names = new Set<string>();
  return list.map((entry: unknown, index) => {
    const {
      name = `#${index + 1}`,
      token,
      role,
      services = '*',
      publish = [],
      subscribe = [],
    } = (entry ?? {}) as Record<string, unknown>;
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw fail(
        `token ${index + 1} must be a string of at least ${MIN_TOKEN_LENGTH} characters, without spaces`,
      );
    }
    if (seen.has(token)) throw fail(`token ${index + 1} appears twice`);
    seen.add(token);
    if (typeof role !== 'string' || !ROLES.has(role))
      throw fail(`token ${index + 1}: role must be caller, worker or admin`);
    if (typeof name !== 'string') throw fail(`token ${index + 1}: name must be a string`);
    // A name keys idempotency scopes and socket counts: two tokens under one name
    // would share them (one tenant's answers reaching the other).
    if (names.has(name))
      throw fail(`token ${index + 1}: the name '${name}' is taken by another token`);
    names.add(name);
    const all = services === '*' || (Array.isArray(services) && services.includes('*'));
    if (!all && !(Array.isArray(services) && services.every((s) => typeof s === 'string'))) {
      throw fail(`token ${index + 1}: services must be "*" or a list of service names`);
    }
    return {
      name,
      role: role as Role,
      services: all ? 'all' : new Set(services as string[]),
      topics: {
        publish: nameList(publish, () =>
          fail(`token ${index + 1}: publish must be "*" or a list of topic names`),
        ),
        subscribe: nameList(subscribe, () =>
          fail(`token ${index + 1}: subscribe must be "*" or a list of topic names`),
        ),
      },
      digest: sha256(token),
    };
  });
}

/** `"*"` or a list holding it: all; a list of strings: those; anything else throws `fail()`. */
function nameList(value: unknown, fail: () => Error): ReadonlySet<string> | 'all' {
  if (value === '*' || (Array.isArray(value) && value.includes('*'))) return 'all';
  if (Array.isArray(value) && value.every((name) => typeof name === 'string'))
    return new Set(value);
  throw fail();
}

import type { Context, Handler } from 'hono';
import type { Grant, Role, TokenTable } from '../auth.js';
import { isHubError } from '../errors.js';
import {
  type AccessRule,
  grantOf,
  type RouteRequest,
  type ServiceOf,
} from '../exchange/authorize.js';
import { errorResponse } from './response.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The caller's grant, set by the route's access check; undefined when auth is off. */
    grant: Grant | undefined;
  }
}

/**
 * Who may use each route ([P-AUTH]): the table's exchanges declare theirs in
 * exchange/table.ts; the app's own routes where they are declared, as Hono's
 * `bearerAuth` is: `routes.get('/status', access.guard('admin', [], handler))`.
 * Every route is guarded but the probes; test/http/auth.test.ts tries each route without a token. With auth
 * off a guard is the handler itself: requests pay nothing.
 */
export class Access {
  readonly #tokens: TokenTable | undefined;

  constructor(tokens: TokenTable | undefined) {
    this.#tokens = tokens;
  }

  /**
   * `handler`, run only for a token whose role is `role` (or admin; `any`: any
   * known token) and whose
   * services cover each service that `services` read from the request: 401
   * `unauthorized` without a known token, 403 `forbidden` beyond its grant. HEAD
   * runs the GET route's guard, so it is authorised exactly as GET.
   */
  guard(
    role: Role | 'any',
    services: readonly ServiceOf[],
    handler: Handler,
    topic?: AccessRule['topic'],
  ): Handler {
    if (!this.#tokens) return handler;
    return async (c, next) => (await this.refusal(c, role, services, topic)) ?? handler(c, next);
  }

  /** False when auth is off: every guard is then its handler. */
  get enabled(): boolean {
    return this.#tokens !== undefined;
  }

  /** Checks an `Authorization` value (throws `unauthorized`); undefined when auth is off. */
  get authenticate(): ((authorization: string) => Grant) | undefined {
    const tokens = this.#tokens;
    return tokens && ((authorization) => tokens.authenticate(authorization));
  }

  /** The 401/403 response that `role` on `services` refuses this request with, if any. */
  async refusal(
    c: Context,
    role: Role | 'any',
    services: readonly ServiceOf[] = [],
    topic?: AccessRule['topic'],
  ) {
    const tokens = this.#tokens;
    if (!tokens) return undefined;
    try {
      const rule = { role, services, topic };
      c.set('grant', await grantOf(tokens, c.req.header('authorization'), rule, c.req));
      return undefined;
    } catch (error) {
      if (!isHubError(error)) throw error;
      return errorResponse(
        error,
        error.code === 'unauthorized' ? { 'www-authenticate': 'Bearer' } : {},
      );
    }
  }

  /**
   * `guard`'s check for a request Hono does not serve (node-routes.ts): the grant
   * (none with auth off), or undefined when the request would be refused, to be
   * handed to the guarded route, which refuses it.
   */
  async admit(
    authorization: string | undefined,
    rule: AccessRule,
    req: RouteRequest,
  ): Promise<{ grant: Grant | undefined } | undefined> {
    const tokens = this.#tokens;
    if (!tokens) return { grant: undefined };
    try {
      return { grant: await grantOf(tokens, authorization, rule, req) };
    } catch (error) {
      if (isHubError(error)) return undefined;
      throw error;
    }
  }
}

/** True when the request carries `Authorization` more than once. */
export function repeatsAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}

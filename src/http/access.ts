import type { Context, Handler } from 'hono';
import { type Grant, type Role, requireRole, type TokenTable } from '../auth.js';
import { type HubError, isHubError } from '../errors.js';
import { errorResponse } from './error-status.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The caller's grant, set by the route's access check; undefined when auth is off. */
    grant: Grant | undefined;
  }
}

/** What a guard reads of a request: Hono's `c.req`, or the node:http fast path's match. */
export interface RouteRequest {
  param(name: string): string | undefined;
  query(name: string): string | undefined;
}

/** The service a request acts on, read from it; undefined checks the role alone. */
export type ServiceOf = (req: RouteRequest) => string | undefined | Promise<string | undefined>;

/** The service named by a path parameter (`:name`). */
export const pathService =
  (param: string): ServiceOf =>
  (req) =>
    req.param(param);

/**
 * Who may use each route, declared where the route is declared ([P-AUTH]), as
 * Hono's `bearerAuth` is: `routes.post('/:name', access.guard('caller',
 * [pathService('name')], handler))`. Every route of every sub-app is guarded but
 * the probes; test/http/auth.test.ts tries each route without a token. With auth
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
  guard(role: Role | 'any', services: readonly ServiceOf[], handler: Handler): Handler {
    if (!this.#tokens) return handler;
    return async (c, next) => (await this.refusal(c, role, services)) ?? handler(c, next);
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
  async refusal(c: Context, role: Role | 'any', services: readonly ServiceOf[] = []) {
    const tokens = this.#tokens;
    if (!tokens) return undefined;
    try {
      c.set('grant', await grantOf(tokens, c.req.header('authorization'), role, services, c.req));
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
    role: Role,
    services: readonly ServiceOf[],
    req: RouteRequest,
  ): Promise<{ grant: Grant | undefined } | undefined> {
    const tokens = this.#tokens;
    if (!tokens) return { grant: undefined };
    try {
      return { grant: await grantOf(tokens, authorization, role, services, req) };
    } catch (error) {
      if (isHubError(error)) return undefined;
      throw error;
    }
  }
}

/** The token's grant if it may act as `role` on every service named; throws 401/403 otherwise. */
async function grantOf(
  tokens: TokenTable,
  authorization: string | undefined,
  role: Role | 'any',
  services: readonly ServiceOf[],
  req: RouteRequest,
): Promise<Grant> {
  const grant = tokens.authenticate(authorization);
  if (role === 'any') return grant;
  requireRole(grant, role);
  for (const serviceOf of services) {
    const service = await serviceOf(req);
    if (service !== undefined) requireRole(grant, role, service);
  }
  return grant;
}

/**
 * The answers of a batch whose jobs belong to services outside the worker's grant,
 * by their index in the batch, each with its `forbidden` error: the rest of the
 * batch still counts. No grant (auth off) refuses nothing.
 */
export async function refusedAnswers(
  grant: Grant | undefined,
  serviceOf: (deliveryId: string) => Promise<string | undefined>,
  answers: readonly { readonly id: string }[],
): Promise<Map<number, HubError>> {
  const refused = new Map<number, HubError>();
  if (!grant) return refused;
  for (const [index, { id }] of answers.entries()) {
    const service = await serviceOf(id);
    if (service === undefined) continue;
    try {
      requireRole(grant, 'worker', service);
    } catch (error) {
      if (!isHubError(error)) throw error;
      refused.set(index, error);
    }
  }
  return refused;
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

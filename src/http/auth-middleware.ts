import type { MiddlewareHandler } from 'hono';
import { type Grant, requireRole, type TokenTable } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { type HubError, isHubError } from '../errors.js';
import { errorResponse } from './error-status.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The caller's grant, set by the auth middleware; undefined when auth is off. */
    grant: Grant | undefined;
  }
}

/** Probes stay open: an orchestrator has no token. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['healthz', 'readyz']);

function segment(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Every route but the probes needs `Authorization: Bearer <token>` (401
 * `unauthorized`), and the token's role and services must cover the route (403
 * `forbidden`). Jobs are checked by the service of the job itself, so a worker
 * token for one service cannot touch another's jobs even with their ids. Only
 * installed when tokens are configured: with auth off, requests pay nothing.
 */
export function authMiddleware(tokens: TokenTable, hub: Hub): MiddlewareHandler {
  return async (c, next) => {
    const [, first, second, third] = c.req.path.split('/');
    if (first !== undefined && OPEN_PATHS.has(first)) return next();
    try {
      const grant = tokens.authenticate(c.req.header('authorization'));
      c.set('grant', grant);
      // HEAD runs the GET handler (Hono answers it with GET's headers), so it is
      // authorised exactly as GET is.
      const reads = c.req.method === 'GET' || c.req.method === 'HEAD';
      if (first === 'jobs' && reads) {
        // An async call's result belongs to callers of the job's service.
        const id = segment(second);
        requireRole(grant, 'caller', id === undefined ? undefined : hub.resultService(id));
      } else {
        await authorize(grant, hub, first, segment(second), third, c.req.query('next'));
      }
    } catch (error) {
      if (!isHubError(error)) throw error;
      return errorResponse(
        error,
        error.code === 'unauthorized' ? { 'www-authenticate': 'Bearer' } : {},
      );
    }
    return next();
  };
}

/**
 * The answers of a batch whose jobs belong to services outside the worker's grant,
 * by their index in the batch, each with its `forbidden` error: the rest of the
 * batch still counts. No grant (auth off) refuses nothing.
 */
export async function refusedAnswers(
  grant: Grant | undefined,
  hub: Hub,
  answers: readonly { readonly id: string }[],
): Promise<Map<number, HubError>> {
  const refused = new Map<number, HubError>();
  if (!grant) return refused;
  for (const [index, { id }] of answers.entries()) {
    const service = await hub.serviceOf(id);
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

async function authorize(
  grant: Grant,
  hub: Hub,
  first: string | undefined,
  second: string | undefined,
  third: string | undefined,
  next: string | undefined,
): Promise<void> {
  switch (first) {
    case 'service':
      // /service/:name is a call, /service/:name/jobs a poll.
      return requireRole(grant, third === 'jobs' ? 'worker' : 'caller', second);
    case 'call':
      return requireRole(grant, 'caller', second);
    case 'jobs': {
      requireRole(grant, 'worker');
      const service = second === undefined ? undefined : await hub.serviceOf(second);
      // An id not held by anyone gets the route's own 404/409/410, which reveal nothing.
      if (service !== undefined) requireRole(grant, 'worker', service);
      if (next !== undefined) requireRole(grant, 'worker', next);
      return;
    }
    default:
      // /status, /services, and paths that will be 404: operators only.
      return requireRole(grant, 'admin');
  }
}

import {
  type Grant,
  type Role,
  requireRole,
  requireTopic,
  type TokenTable,
  type TopicAction,
} from '../auth.js';
import { type HubError, isHubError } from '../errors.js';

/** What an access check reads of a request: its path parameters and query. */
export interface RouteRequest {
  param(name: string): string | undefined;
  query(name: string): string | undefined;
}

/** The service a request acts on, read from it; undefined checks the role alone. */
export type ServiceOf = (req: RouteRequest) => string | undefined | Promise<string | undefined>;

/** Who may make an exchange: a role (or admin; `any`: any known token) and the services it acts on. */
export interface AccessRule {
  readonly role: Role | 'any';
  readonly services: readonly ServiceOf[];
  /** A topic route's check: the token must list the topic the path names for this action. */
  readonly topic?: { readonly action: TopicAction; readonly param: string } | undefined;
}

/** The service named by a path parameter (`:name`). */
export const pathService =
  (param: string): ServiceOf =>
  (req) =>
    req.param(param);

/**
 * The token's grant if it may make a request under `rule` ([P-AUTH]): 401
 * `unauthorized` without a known token, 403 `forbidden` beyond its grant.
 */
export async function grantOf(
  tokens: TokenTable,
  authorization: string | undefined,
  rule: AccessRule,
  req: RouteRequest,
): Promise<Grant> {
  const grant = tokens.authenticate(authorization);
  await authorize(grant, rule, req);
  return grant;
}

/** Throws 403 `forbidden` unless `grant`'s role and services cover what `rule` reads from `req`. */
export async function authorize(grant: Grant, rule: AccessRule, req: RouteRequest): Promise<void> {
  if (rule.topic) requireTopic(grant, rule.topic.action, req.param(rule.topic.param) ?? '');
  if (rule.role === 'any') return;
  requireRole(grant, rule.role);
  for (const serviceOf of rule.services) {
    const service = await serviceOf(req);
    if (service !== undefined) requireRole(grant, rule.role, service);
  }
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

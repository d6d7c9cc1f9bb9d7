import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import type { Failure } from '../domain/job.js';
import { ErrorCode, HubError } from '../errors.js';
import { MAX_FAILURE_BYTES } from '../protocol.js';
import type { Access } from './access.js';
import { heldService } from './answer-routes.js';
import { bodySizeCheck } from './body-limit.js';
import { RequestHeaders } from './request-headers.js';

/**
 * A worker's hold on a job it has not answered: `POST /jobs/:deliveryId/heartbeat`
 * extends the lease ([P-LEASE]), `POST /jobs/:deliveryId/fail` gives the job up.
 */
export function leaseRoutes(hub: Hub, access: Access): Hono {
  const routes = new Hono();
  const held = [heldService(hub)];
  const checkFailureBody = bodySizeCheck(MAX_FAILURE_BYTES);

  routes.post(
    '/:id/heartbeat',
    access.guard('worker', held, async (c) => {
      const leaseUntil = await hub.heartbeat(c.req.param('id') ?? '');
      return c.json({ leaseUntil, leaseMs: Math.max(0, leaseUntil - Date.now()) });
    }),
  );

  routes.post(
    '/:id/fail',
    access.guard('worker', held, async (c) => {
      const counting = checkFailureBody(c, RequestHeaders.of(c));
      if (counting) await counting;
      const failure = parseFailure(await c.req.text());
      return c.json({ outcome: await hub.fail(c.req.param('id') ?? '', failure) });
    }),
  );

  return routes;
}

const DEFAULT_FAILURE_MESSAGE = 'the worker reported a failure';

/** `{"message"?: string, "retry"?: boolean}`; an empty body is a failure with no retry. */
function parseFailure(text: string): Failure {
  if (text.trim() === '') return { message: DEFAULT_FAILURE_MESSAGE, retry: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badFailure();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badFailure();
  const { message = DEFAULT_FAILURE_MESSAGE, retry = false } = value as Record<string, unknown>;
  if (typeof message !== 'string' || typeof retry !== 'boolean') throw badFailure();
  return { message, retry };
}

function badFailure(): HubError {
  return new HubError(
    ErrorCode.InvalidJson,
    'a failure report must be a JSON object {"message"?: string, "retry"?: boolean}',
  );
}

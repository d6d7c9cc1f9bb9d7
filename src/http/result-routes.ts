import { Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import type { Access, ServiceOf } from './access.js';
import { resultReply } from './call-handler.js';
import { parseMilliseconds } from './header-parsers.js';
import { toResponse } from './reply.js';
import { requestGone } from './request-gone.js';

/**
 * `GET /jobs/:jobId`: an async call's result ([P-ASYNC]), by the job id its caller
 * was given (a job id, where the worker routes take a delivery id), read by
 * callers of the job's service.
 */
export function resultRoutes(hub: Hub, access: Access): Hono {
  const routes = new Hono();
  const resultService: ServiceOf = (req) => hub.resultService(req.param('id') ?? '');

  routes.get(
    '/:id',
    access.guard('caller', [resultService], async (c) => {
      const jobId = c.req.param('id') ?? '';
      const waitMs = parseMilliseconds(c.req.query('wait'), '?wait') ?? 0;
      return toResponse(resultReply(jobId, await hub.result(jobId, waitMs, requestGone(c))));
    }),
  );

  return routes;
}

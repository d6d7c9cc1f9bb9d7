import type { Hub } from '../core/hub.js';
import { methodNotAllowedReply } from './error-status.js';
import { jobReply, jobsReply } from './job-responses.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';
import { takeOptions } from './take-options.js';

/** A worker's poll of `service`: one job, or with `?max` a batch ([P-BATCH]). */
export async function pollReply(
  hub: Hub,
  request: ExchangeRequest,
  service: string,
  options: { compat: '' | 'astrohub' },
): Promise<Reply> {
  // Hono runs GET handlers for HEAD and drops the body: a HEAD poll would take a
  // job and throw it away. It takes nothing.
  if (request.method === 'HEAD') return methodNotAllowedReply('HEAD', ['GET']);
  const asked = takeOptions(request, options);
  const take = { service, timeoutMs: asked.timeoutMs, workerId: asked.workerId };
  if (asked.max !== undefined) {
    return jobsReply(await hub.takeBatch(take, asked.max, request.gone()), asked);
  }
  return jobReply(await hub.take(take, request.gone()), asked);
}

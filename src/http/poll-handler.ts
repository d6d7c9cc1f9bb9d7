import type { Hub } from '../core/hub.js';
import type { HubRequest } from './hub-request.js';
import { jobReply, jobsReply } from './job-responses.js';
import type { Reply } from './reply.js';
import { takeOptions } from './take-options.js';

/** A worker's poll of `service`: one job, or with `?max` a batch ([P-BATCH]). */
export async function pollReply(
  hub: Hub,
  request: HubRequest,
  service: string,
  options: { compat: '' | 'astrohub' },
): Promise<Reply> {
  const asked = takeOptions(request, options);
  const take = { service, timeoutMs: asked.timeoutMs, workerId: asked.workerId };
  if (asked.max !== undefined) {
    return jobsReply(await hub.takeBatch(take, asked.max, request.gone()), asked);
  }
  return jobReply(await hub.take(take, request.gone()), asked);
}

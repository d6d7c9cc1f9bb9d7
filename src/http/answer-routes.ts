import { Hono } from 'hono';
import type { DeliveryAnswer, Hub } from '../core/hub.js';
import { BATCH_FRAMING_BYTES } from '../protocol.js';
import { type Access, refusedAnswers, type ServiceOf } from './access.js';
import { parseAnswerBatch } from './answer-batch.js';
import { answerReply } from './answer-handler.js';
import type { AppOptions } from './app.js';
import { bodySizeCheck } from './body-limit.js';
import { honoHandler } from './hub-request.js';
import { batchReply } from './job-responses.js';
import { takeOptions } from './take-options.js';

/** The service of the job a worker holds under the route's delivery id. */
export const heldService =
  (hub: Hub): ServiceOf =>
  (req) =>
    hub.serviceOf(req.param('id') ?? '');

/** `?next=<service>`: the service whose next job an answer also takes. */
export const nextService: ServiceOf = (req) => req.query('next');

/**
 * A worker's answers: `POST /jobs/:deliveryId` (AstroHub's test worker spells it
 * `/jobs/:deliveryId/response`), with `?next=<service>` also the worker's next
 * poll; `POST /jobs`, an answer batch ([P-BATCH]). A delivery id names one
 * hand-out of a job, not the job: a late answer from an earlier attempt is told
 * apart.
 */
export function answerRoutes(hub: Hub, options: AppOptions, access: Access): Hono {
  const routes = new Hono();
  const checkBody = bodySizeCheck(options.maxBodyBytes);
  const checkBatchBody = bodySizeCheck(options.maxBodyBytes + BATCH_FRAMING_BYTES);

  const answer = access.guard(
    'worker',
    [heldService(hub), nextService],
    honoHandler(
      (request, c) => answerReply(hub, request, c.req.param('id') ?? '', options),
      checkBody,
    ),
  );
  routes.post('/:id', answer);
  routes.post('/:id/response', answer);

  // An answer batch, with `?next=` also the next batch take ([P-BATCH]). Each
  // answer's own service is checked below, answer by answer.
  routes.post(
    '/',
    access.guard(
      'worker',
      [nextService],
      honoHandler(async (request) => {
        const next = request.query('next');
        const take = takeOptions(request, options);
        const items = parseAnswerBatch(
          request.headers.get('content-type'),
          await request.body(),
          options.maxBodyBytes,
        );
        const refused = await refusedAnswers(request.grant, (id) => hub.serviceOf(id), items);
        items.forEach((item, i) => {
          if (item.error) refused.set(i, item.error);
        });
        const { outcomes, jobs } = await hub.answerBatch(
          items.filter((item, i): item is DeliveryAnswer => !refused.has(i) && !item.error),
          next === undefined
            ? undefined
            : {
                take: { service: next, timeoutMs: take.timeoutMs, workerId: take.workerId },
                max: take.max ?? 1,
              },
          request.gone(),
        );
        // The hub's outcomes follow the answers it was given; refused ones slot back in.
        const inOrder = items.map((_, i) => refused.get(i) ?? outcomes.shift());
        return batchReply(
          items.map((a) => a.id),
          inOrder,
          jobs,
          take,
        );
      }, checkBatchBody),
    ),
  );

  return routes;
}

import { Hono } from 'hono';
import type { DeliveryAnswer, Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { BATCH_FRAMING_BYTES, Header } from '../protocol.js';
import { type Access, refusedAnswers, type ServiceOf } from './access.js';
import { parseAnswerBatch } from './answer-batch.js';
import type { AppOptions } from './app.js';
import { bodySizeCheck } from './body-limit.js';
import { returnedAnswerHeaders } from './crossing-headers.js';
import { parseStatus } from './header-parsers.js';
import { batchResponse, jobResponse } from './job-responses.js';
import { requestGone } from './request-gone.js';
import { RequestHeaders } from './request-headers.js';
import { takeOptions } from './take-options.js';

/** An acknowledgement with no body: the length said, or Node would frame it as chunked. */
const EMPTY = new Uint8Array(0);

/** The service of the job a worker holds under the route's delivery id. */
export const heldService =
  (hub: Hub): ServiceOf =>
  (c) =>
    hub.serviceOf(c.req.param('id') ?? '');

/** `?next=<service>`: the service whose next job an answer also takes. */
const nextService: ServiceOf = (c) => c.req.query('next');

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

  const answer = access.guard('worker', [heldService(hub), nextService], async (c) => {
    const headers = new RequestHeaders(c);
    const counting = checkBody(c, headers);
    if (counting) await counting;
    const status = parseStatus(headers.get(Header.Status));
    const next = c.req.query('next');
    const take = next === undefined ? undefined : takeOptions(c, options, headers);
    // ?max is the batch form's, with or without ?next: never silently ignored.
    if (c.req.query('max') !== undefined) {
      throw new HubError(
        ErrorCode.InvalidBatch,
        '?max takes a batch: answer with POST /jobs to take one; POST /jobs/:id takes one job',
      );
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const deliveryId = c.req.param('id') ?? '';
    const workerAnswer = {
      status,
      contentType: headers.get('content-type'),
      headers: returnedAnswerHeaders(headers),
      body,
    };
    if (next === undefined || take === undefined) {
      await hub.answer(deliveryId, workerAnswer);
      return c.body(EMPTY, 200);
    }
    const job = await hub.answerAndTake(
      deliveryId,
      workerAnswer,
      { service: next, timeoutMs: take.timeoutMs, workerId: take.workerId },
      requestGone(c),
    );
    return jobResponse(job, take);
  });
  routes.post('/:id', answer);
  routes.post('/:id/response', answer);

  // An answer batch, with `?next=` also the next batch take ([P-BATCH]). Each
  // answer's own service is checked below, answer by answer.
  routes.post(
    '/',
    access.guard('worker', [nextService], async (c) => {
      const headers = new RequestHeaders(c);
      const counting = checkBatchBody(c, headers);
      if (counting) await counting;
      const next = c.req.query('next');
      const take = takeOptions(c, options, headers);
      const items = parseAnswerBatch(
        headers.get('content-type'),
        new Uint8Array(await c.req.arrayBuffer()),
        options.maxBodyBytes,
      );
      const refused = await refusedAnswers(c.get('grant'), (id) => hub.serviceOf(id), items);
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
        requestGone(c),
      );
      // The hub's outcomes follow the answers it was given; refused ones slot back in.
      const inOrder = items.map((_, i) => refused.get(i) ?? outcomes.shift());
      return batchResponse(
        items.map((a) => a.id),
        inOrder,
        jobs,
        take,
      );
    }),
  );

  return routes;
}

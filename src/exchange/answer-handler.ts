import type { Grant } from '../auth.js';
import type { DeliveryAnswer, Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { Header } from '../protocol.js';
import { parseAnswerBatch } from './answer-batch.js';
import { refusedAnswers } from './authorize.js';
import { returnedAnswerHeaders } from './crossing-headers.js';
import { parseStatus } from './header-parsers.js';
import { batchReply, jobReply } from './job-responses.js';
import type { Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';
import { takeOptions } from './take-options.js';

/** An acknowledgement with no body: its length is said (0), so Node does not chunk it. */
const ACK: Reply = { status: 200, headers: {}, body: new Uint8Array(0) };

/**
 * A worker's answer to one delivery, `POST /jobs/:deliveryId`; with `?next=<service>`
 * also its next poll ([P-ANSWER-NEXT]). The body's size was checked before.
 */
export async function answerReply(
  hub: Hub,
  request: ExchangeRequest,
  deliveryId: string,
  options: { compat: '' | 'astrohub' },
): Promise<Reply> {
  const { headers } = request;
  const status = parseStatus(headers.get(Header.Status));
  const next = request.query('next');
  const take = next === undefined ? undefined : takeOptions(request, options);
  // ?max is the batch form's, with or without ?next: never silently ignored.
  if (request.query('max') !== undefined) {
    throw new HubError(
      ErrorCode.InvalidBatch,
      '?max takes a batch: answer with POST /jobs to take one; POST /jobs/:id takes one job',
    );
  }
  const workerAnswer = {
    status,
    contentType: headers.get('content-type'),
    headers: returnedAnswerHeaders(headers),
    body: await request.body(),
  };
  if (next === undefined || take === undefined) {
    await hub.answer(deliveryId, workerAnswer);
    return ACK;
  }
  const job = await hub.answerAndTake(
    deliveryId,
    workerAnswer,
    { service: next, timeoutMs: take.timeoutMs, workerId: take.workerId },
    request.gone(),
  );
  return jobReply(job, take);
}

/**
 * An answer batch, `POST /jobs`, with `?next=` also the next batch take
 * ([P-BATCH]). Each answer's own service is checked here, answer by answer: a
 * refused one is refused alone.
 */
export async function answerBatchReply(
  hub: Hub,
  request: ExchangeRequest,
  options: { compat: '' | 'astrohub'; maxBodyBytes: number },
): Promise<Reply> {
  const next = request.query('next');
  const take = takeOptions(request, options);
  const items = parseAnswerBatch(
    request.headers.get('content-type'),
    await request.body(),
    options.maxBodyBytes,
  );
  const refused = await refusedBatchAnswers(hub, request.grant, items);
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
}

/** The batch's answers refused alone, by index: beyond the grant, or malformed. */
async function refusedBatchAnswers(
  hub: Hub,
  grant: Grant | undefined,
  items: ReturnType<typeof parseAnswerBatch>,
): Promise<Map<number, HubError>> {
  const refused = await refusedAnswers(grant, (id) => hub.serviceOf(id), items);
  items.forEach((item, i) => {
    if (item.error) refused.set(i, item.error);
  });
  return refused;
}

import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { Header } from '../protocol.js';
import { returnedAnswerHeaders } from './crossing-headers.js';
import { parseStatus } from './header-parsers.js';
import type { HubRequest } from './hub-request.js';
import { jobReply } from './job-responses.js';
import type { Reply } from './reply.js';
import { takeOptions } from './take-options.js';

/** An acknowledgement with no body: its length is said (0), so Node does not chunk it. */
const ACK: Reply = { status: 200, headers: {}, body: new Uint8Array(0) };

/**
 * A worker's answer to one delivery, `POST /jobs/:deliveryId`; with `?next=<service>`
 * also its next poll ([P-ANSWER-NEXT]). The body's size was checked before.
 */
export async function answerReply(
  hub: Hub,
  request: HubRequest,
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

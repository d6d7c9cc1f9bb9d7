import { type Context, Hono } from 'hono';
import type { DeliveryAnswer, Hub } from '../core/hub.js';
import type { Failure } from '../domain/job.js';
import { ErrorCode, HubError } from '../errors.js';
import { Header } from '../protocol.js';
import { parseAnswerBatch } from './answer-batch.js';
import type { AppOptions } from './app.js';
import { refusedAnswers } from './auth-middleware.js';
import { bodySizeCheck } from './body-limit.js';
import { resultResponse } from './call-handler.js';
import { returnedAnswerHeaders } from './crossing-headers.js';
import { parseMilliseconds, parseStatus } from './header-parsers.js';
import { batchResponse, jobResponse } from './job-responses.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requestGone } from './request-gone.js';
import { RequestHeaders } from './request-headers.js';
import { takeOptions } from './take-options.js';

/** A zero-length body, so the acknowledgement says Content-Length: 0 rather than chunked. */
const EMPTY = new Uint8Array(0);

/**
 * Room in an answer batch beyond the body limit: the SDK puts at most one large
 * answer in a batch, with small ones and their heads up to 64 KiB beside it.
 */
const BATCH_FRAMING_BYTES = 256 * 1024;

/** The longest failure report read; a message is cut to 1000 characters anyway. */
const MAX_FAILURE_BYTES = 16 * 1024;

/**
 * `/jobs/:id`: a worker's answer; with `?next=<service>` also the worker's next poll.
 * `/jobs/:id/response` is AstroHub's test worker's spelling. `/jobs/:id/heartbeat`
 * extends the lease, `/jobs/:id/fail` reports a failure. `:id` is the delivery's id.
 */
export function jobRoutes(hub: Hub, limits: AppOptions): Hono {
  const routes = new Hono();
  const checkBody = bodySizeCheck(limits.maxBodyBytes);
  const checkFailureBody = bodySizeCheck(MAX_FAILURE_BYTES);
  const checkBatchBody = bodySizeCheck(limits.maxBodyBytes + BATCH_FRAMING_BYTES);

  const answer = async (c: Context) => {
    const headers = new RequestHeaders(c);
    const counting = checkBody(c, headers);
    if (counting) await counting;
    const status = parseStatus(headers.get(Header.Status));
    const next = c.req.query('next');
    const take = next === undefined ? undefined : takeOptions(c, limits, headers);
    // ?max is the batch form's, with or without ?next: never silently ignored.
    if (c.req.query('max') !== undefined) {
      throw new HubError(
        ErrorCode.InvalidBatch,
        '?max takes a batch: answer with POST /jobs to take one; POST /jobs/:id takes one job',
      );
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const id = c.req.param('id') ?? '';
    const workerAnswer = {
      status,
      contentType: headers.get('content-type'),
      headers: returnedAnswerHeaders(headers),
      body,
    };
    if (next === undefined || take === undefined) {
      await hub.answer(id, workerAnswer);
      return c.body(EMPTY, 200);
    }
    const job = await hub.answerAndTake(
      id,
      workerAnswer,
      { service: next, timeoutMs: take.timeoutMs, workerId: take.workerId },
      requestGone(c),
    );
    return jobResponse(job, take);
  };

  // An answer batch, with `?next=` also the next batch take ([P-BATCH]).
  routes.post('/', async (c) => {
    const headers = new RequestHeaders(c);
    const counting = checkBatchBody(c, headers);
    if (counting) await counting;
    const next = c.req.query('next');
    const take = takeOptions(c, limits, headers);
    const items = parseAnswerBatch(
      headers.get('content-type'),
      new Uint8Array(await c.req.arrayBuffer()),
      limits.maxBodyBytes,
    );
    const refused = await refusedAnswers(c.get('grant'), hub, items);
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
  });
  routes.all('/', methodNotAllowed('POST'));

  // GET: an async call's result, by the job id its caller was given.
  routes.get('/:id', async (c) => {
    const id = c.req.param('id');
    const waitMs = parseMilliseconds(c.req.query('wait'), '?wait') ?? 0;
    return resultResponse(id, await hub.result(id, waitMs, requestGone(c)));
  });
  routes.post('/:id', answer);
  routes.all('/:id', methodNotAllowed('GET', 'POST'));
  routes.post('/:id/response', answer);
  routes.all('/:id/response', methodNotAllowed('POST'));

  routes.post('/:id/heartbeat', async (c) => {
    const leaseUntil = await hub.heartbeat(c.req.param('id'));
    return c.json({ leaseUntil, leaseMs: Math.max(0, leaseUntil - Date.now()) });
  });
  routes.all('/:id/heartbeat', methodNotAllowed('POST'));

  routes.post('/:id/fail', async (c) => {
    const counting = checkFailureBody(c, new RequestHeaders(c));
    if (counting) await counting;
    const failure = parseFailure(await c.req.text());
    return c.json({ outcome: await hub.fail(c.req.param('id'), failure) });
  });
  routes.all('/:id/fail', methodNotAllowed('POST'));

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

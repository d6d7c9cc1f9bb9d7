import { type Context, Hono } from 'hono';
import type { Hub } from '../core/hub.js';
import { Header } from '../protocol.js';
import { bodySizeCheck } from './body-limit.js';
import { returnedAnswerHeaders } from './header-rules.js';
import { parseStatus } from './headers.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { RequestHeaders } from './request-headers.js';
import { jobResponse, takeOptions } from './take-handler.js';

/** A zero-length body, so the acknowledgement says Content-Length: 0 rather than chunked. */
const EMPTY = new Uint8Array(0);

/**
 * `/jobs/:id`: a worker's answer; with `?next=<service>` also the worker's next poll.
 * `/jobs/:id/response` is AstroHub's test worker's spelling.
 */
export function jobRoutes(hub: Hub, limits: { maxBodyBytes: number }): Hono {
  const routes = new Hono();
  const checkBody = bodySizeCheck(limits.maxBodyBytes);

  const answer = async (c: Context) => {
    const headers = new RequestHeaders(c);
    const counting = checkBody(c, headers);
    if (counting) await counting;
    const status = parseStatus(headers.get(Header.Status));
    const next = c.req.query('next');
    const take = next === undefined ? undefined : takeOptions(c, headers);
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
      { service: next, timeoutMs: take.timeoutMs },
      c.req.raw.signal,
    );
    return jobResponse(job, take);
  };

  for (const path of ['/:id', '/:id/response']) {
    routes.post(path, answer);
    routes.all(path, methodNotAllowed('POST'));
  }
  return routes;
}

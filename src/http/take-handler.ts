import type { Context } from 'hono';
import type { Delivery } from '../core/types.js';
import { ErrorCode, echoed, HubError } from '../errors.js';
import { encodeJob, encodeJobs, Header } from '../protocol.js';
import { parseBatchSize, parseMilliseconds, parseWorkerId } from './headers.js';
import { RequestHeaders } from './request-headers.js';

/** What a worker asks of a take: how long to wait, and whether every body should come as base64. */
export interface TakeOptions {
  readonly timeoutMs: number | undefined;
  readonly base64: boolean;
  /** From `Hub-Worker`; anonymous when absent. */
  readonly workerId: string | undefined;
  /** `?max`: a batch take of up to this many jobs, answered as an array; one job, as an object, when absent. */
  readonly max: number | undefined;
}

/**
 * Reads `Hub-Timeout` (or `?timeout`) and `?encoding` from a poll or an
 * answer-and-take. In AstroHub's compatibility mode every body travels as base64,
 * which is what AstroHub's Go workers decode into their `[]byte`.
 */
export function takeOptions(
  c: Context,
  hubOptions: { compat: '' | 'astrohub' },
  headers: RequestHeaders = new RequestHeaders(c),
): TakeOptions {
  const base64 = wantsBase64(c.req.query('encoding'));
  return {
    timeoutMs: parseMilliseconds(
      headers.get(Header.Timeout) ?? c.req.query('timeout'),
      'Hub-Timeout (or ?timeout)',
    ),
    base64: base64 || hubOptions.compat === 'astrohub',
    workerId: parseWorkerId(headers.get(Header.Worker)),
    max: parseBatchSize(c.req.query('max')),
  };
}

/** 200 with the job as JSON, or 204 with no body when the wait ended empty. */
export function jobResponse(delivery: Delivery | undefined, options: TakeOptions): Response {
  if (!delivery) return new Response(null, { status: 204 });
  return new Response(encodeJob(delivery, { base64: options.base64 }), {
    headers: { 'content-type': 'application/json' },
  });
}

/** A batch take's answer: 200 with a JSON array of jobs, or 204 when the wait ended empty. */
export function jobsResponse(deliveries: readonly Delivery[], options: TakeOptions): Response {
  if (deliveries.length === 0) return new Response(null, { status: 204 });
  return new Response(encodeJobs(deliveries, { base64: options.base64 }), {
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * An answer batch's result ([P-BATCH]): each answer's outcome in the batch's order,
 * and the jobs its `?next=` took (an empty array without `?next=`).
 */
export function batchResponse(
  ids: readonly string[],
  outcomes: readonly (HubError | undefined)[],
  deliveries: readonly Delivery[],
  options: { base64: boolean },
): Response {
  const listed = ids.map((id, i) => {
    const error = outcomes[i];
    return error ? { id, error: { code: error.code, message: error.message } } : { id };
  });
  const body = Buffer.concat([
    Buffer.from(`{"outcomes":${JSON.stringify(listed)},"jobs":`),
    encodeJobs(deliveries, options),
    CLOSE_BRACE,
  ]);
  return new Response(body, { headers: { 'content-type': 'application/json' } });
}

const CLOSE_BRACE = Buffer.from('}');

function wantsBase64(encoding: string | undefined): boolean {
  if (encoding === undefined) return false;
  if (encoding === 'base64') return true;
  throw new HubError(
    ErrorCode.InvalidEncoding,
    `?encoding accepts only 'base64', got '${echoed(encoding)}'`,
  );
}

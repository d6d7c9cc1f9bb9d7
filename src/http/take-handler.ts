import type { Context } from 'hono';
import type { Delivery } from '../core/types.js';
import { ErrorCode, HubError } from '../errors.js';
import { encodeJob, Header } from '../protocol.js';
import { parseMilliseconds, parseWorkerId } from './headers.js';
import { RequestHeaders } from './request-headers.js';

/** What a worker asks of a take: how long to wait, and whether every body should come as base64. */
export interface TakeOptions {
  readonly timeoutMs: number | undefined;
  readonly base64: boolean;
  /** From `Hub-Worker`; anonymous when absent. */
  readonly workerId: string | undefined;
}

/** Reads `Hub-Timeout` (or `?timeout`) and `?encoding` from a poll or an answer-and-take. */
export function takeOptions(
  c: Context,
  headers: RequestHeaders = new RequestHeaders(c),
): TakeOptions {
  return {
    timeoutMs: parseMilliseconds(
      headers.get(Header.Timeout) ?? c.req.query('timeout'),
      'Hub-Timeout (or ?timeout)',
    ),
    base64: wantsBase64(c.req.query('encoding')),
    workerId: parseWorkerId(headers.get(Header.Worker)),
  };
}

/** 200 with the job as JSON, or 204 with no body when the wait ended empty. */
export function jobResponse(delivery: Delivery | undefined, options: TakeOptions): Response {
  if (!delivery) return new Response(null, { status: 204 });
  return new Response(encodeJob(delivery, { base64: options.base64 }), {
    headers: { 'content-type': 'application/json' },
  });
}

function wantsBase64(encoding: string | undefined): boolean {
  if (encoding === undefined) return false;
  if (encoding === 'base64') return true;
  throw new HubError(
    ErrorCode.InvalidEncoding,
    `?encoding accepts only 'base64', got '${encoding.slice(0, 40)}'`,
  );
}

import type { Hub } from '../core/hub.js';
import type { Failure } from '../domain/job.js';
import { ErrorCode, HubError } from '../errors.js';
import { jsonReply, type Reply } from './reply.js';
import type { ExchangeRequest } from './request.js';

/** `POST /jobs/:id/heartbeat`: the lease of a job the worker holds runs on ([P-LEASE]). */
export async function heartbeatReply(hub: Hub, request: ExchangeRequest): Promise<Reply> {
  const leaseUntil = await hub.heartbeat(request.param('id') ?? '');
  return jsonReply({ leaseUntil, leaseMs: Math.max(0, leaseUntil - Date.now()) });
}

/** `POST /jobs/:id/fail`: the worker gives a job up, to be retried or failed. */
export async function failReply(hub: Hub, request: ExchangeRequest): Promise<Reply> {
  const failure = parseFailure(Buffer.from(await request.body()).toString('utf8'));
  return jsonReply({ outcome: await hub.fail(request.param('id') ?? '', failure) });
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

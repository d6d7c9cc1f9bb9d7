import type { Delivery } from '../domain/job.js';
import { encodeJob, encodeJobs } from '../domain/job-json.js';
import type { HubError } from '../errors.js';
import type { Reply } from './reply.js';

const JSON_TYPE = { 'content-type': 'application/json' } as const;

/** 200 with the job as JSON, or 204 with no body when the wait ended empty. */
export function jobReply(delivery: Delivery | undefined, options: { base64: boolean }): Reply {
  if (!delivery) return NO_JOB;
  return { status: 200, headers: JSON_TYPE, body: encodeJob(delivery, { base64: options.base64 }) };
}

const NO_JOB: Reply = { status: 204, headers: {}, body: null };

/** A batch take's answer: 200 with a JSON array of jobs, or 204 when the wait ended empty. */
export function jobsReply(deliveries: readonly Delivery[], options: { base64: boolean }): Reply {
  if (deliveries.length === 0) return NO_JOB;
  return {
    status: 200,
    headers: JSON_TYPE,
    body: encodeJobs(deliveries, { base64: options.base64 }),
  };
}

/**
 * An answer batch's result ([P-BATCH]): each answer's outcome in the batch's order,
 * and the jobs its `?next=` took (an empty array without `?next=`).
 */
export function batchReply(
  ids: readonly string[],
  outcomes: readonly (HubError | undefined)[],
  deliveries: readonly Delivery[],
  options: { base64: boolean },
): Reply {
  const listed = ids.map((id, i) => {
    const error = outcomes[i];
    return error ? { id, error: { code: error.code, message: error.message } } : { id };
  });
  const body = Buffer.concat([
    Buffer.from(`{"outcomes":${JSON.stringify(listed)},"jobs":`),
    encodeJobs(deliveries, options),
    CLOSE_BRACE,
  ]);
  return { status: 200, headers: JSON_TYPE, body };
}

const CLOSE_BRACE = Buffer.from('}');

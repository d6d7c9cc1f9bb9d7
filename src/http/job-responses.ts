import type { Delivery } from '../domain/job.js';
import { encodeJob, encodeJobs } from '../domain/job-json.js';
import type { HubError } from '../errors.js';

/** 200 with the job as JSON, or 204 with no body when the wait ended empty. */
export function jobResponse(
  delivery: Delivery | undefined,
  options: { base64: boolean },
): Response {
  if (!delivery) return new Response(null, { status: 204 });
  return new Response(encodeJob(delivery, { base64: options.base64 }), {
    headers: { 'content-type': 'application/json' },
  });
}

/** A batch take's answer: 200 with a JSON array of jobs, or 204 when the wait ended empty. */
export function jobsResponse(
  deliveries: readonly Delivery[],
  options: { base64: boolean },
): Response {
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

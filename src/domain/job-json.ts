import type { Delivery } from './job.js';

/**
 * Serializes a job for a worker. A JSON body is spliced in as it came, never
 * parsed and re-encoded; any other body, or every body when the worker asks for
 * `base64` (to get the caller's exact bytes), travels as base64.
 */
export function encodeJob(delivery: Delivery, options: { base64?: boolean } = {}): Buffer {
  return Buffer.concat(jobParts(delivery, options));
}

/**
 * Serializes a batch take's jobs as a JSON array, each as `encodeJob` writes it.
 * The parts of every job are joined in one copy, so a body is copied once.
 */
export function encodeJobs(
  deliveries: readonly Delivery[],
  options: { base64?: boolean } = {},
): Buffer {
  const parts: Uint8Array[] = [OPEN_BRACKET];
  deliveries.forEach((delivery, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(...jobParts(delivery, options));
  });
  parts.push(CLOSE_BRACKET);
  return Buffer.concat(parts);
}

/**
 * A job's JSON as pieces: the fields, then the caller's body as it came (when
 * JSON). One template string: ids (nanoid), service names (their pattern) and
 * methods (HTTP tokens) hold no character JSON would escape, so only the
 * caller's path, query, headers and content type go through JSON.stringify.
 */
function jobParts(delivery: Delivery, { base64 = false }: { base64?: boolean }): Uint8Array[] {
  const { payload } = delivery.job;
  const fields = jobFields(delivery);
  if (base64 || !payload.isJson) {
    const { buffer, byteOffset, byteLength } = payload.body;
    const encoded = Buffer.from(buffer, byteOffset, byteLength).toString('base64');
    return [Buffer.from(`${fields},"encoding":"base64","originalRequest":"${encoded}"}`)];
  }
  if (payload.body.byteLength === 0) return [Buffer.from(`${fields},"originalRequest":null}`)];
  return [Buffer.from(`${fields},"originalRequest":`), payload.body, CLOSE_BRACE];
}

/**
 * A job's JSON without its body, for a v2 binary frame, where the body's bytes
 * follow the head as they are (protocol.ts `binaryFrame`).
 */
export function encodeJobHead(delivery: Delivery): string {
  return `${jobFields(delivery)}}`;
}

/** A job's fields but its body, as JSON text without the closing brace. */
function jobFields(delivery: Delivery): string {
  const { job } = delivery;
  const { payload } = job;
  const contentType =
    payload.contentType === undefined
      ? ''
      : `,"contentType":${JSON.stringify(payload.contentType)}`;
  return (
    `{"id":"${delivery.id}","service":"${job.service}","attempt":${delivery.attempt}` +
    `,"deadline":${job.deadline},"remainingMs":${Math.max(0, job.deadline - Date.now())}` +
    `,"leaseMs":${delivery.leaseMs},"method":"${payload.method}"` +
    `,"path":${JSON.stringify(payload.path)},"query":${JSON.stringify(payload.query)}` +
    `,"headers":${JSON.stringify(payload.headers)},"flowId":${JSON.stringify(payload.flowId)}${contentType}`
  );
}

const CLOSE_BRACE = Buffer.from('}');
const OPEN_BRACKET = Buffer.from('[');
const CLOSE_BRACKET = Buffer.from(']');
const COMMA = Buffer.from(',');

/**
 * Jobs and outcomes as the Redis store keeps and sends them: one buffer each,
 * a JSON head and the body's bytes after it, so a body crosses Redis byte for
 * byte and is never turned into text.
 */
import type { Answer, Delivery, Job } from '../../domain/job.js';
import type { ErrorCode } from '../../errors.js';
import type { JobOutcome } from '../job-store.js';

/** How a blob starts: the length of its JSON head, then the head, then the body. */
const HEAD_LENGTH_BYTES = 4;

function pack(head: unknown, body: Uint8Array, tag?: number): Buffer {
  const json = Buffer.from(JSON.stringify(head));
  const offset = tag === undefined ? 0 : 1;
  const blob = Buffer.allocUnsafe(offset + HEAD_LENGTH_BYTES + json.length + body.byteLength);
  if (tag !== undefined) blob[0] = tag;
  blob.writeUInt32BE(json.length, offset);
  json.copy(blob, offset + HEAD_LENGTH_BYTES);
  blob.set(body, offset + HEAD_LENGTH_BYTES + json.length);
  return blob;
}

function unpack<T>(blob: Buffer, offset = 0): { head: T; body: Uint8Array } {
  const length = blob.readUInt32BE(offset);
  const start = offset + HEAD_LENGTH_BYTES;
  const head = JSON.parse(blob.toString('utf8', start, start + length)) as T;
  return { head, body: blob.subarray(start + length) };
}

export function encodeJob(job: Job): Buffer {
  const { body, ...payload } = job.payload;
  return pack({ ...job, payload }, body);
}

export function decodeJob(blob: Buffer): Job {
  const { head, body } = unpack<Omit<Job, 'payload'> & { payload: Omit<Job['payload'], 'body'> }>(
    blob,
  );
  return { ...head, payload: { ...head.payload, body } };
}

const ANSWER = 0x41; // 'A'
const ERROR = 0x58; // 'X'

export function encodeOutcome(outcome: JobOutcome): Buffer {
  if ('answer' in outcome) {
    const { body, ...head } = outcome.answer;
    // JSON drops undefined: a missing content type comes back as null.
    return pack({ ...head, contentType: head.contentType ?? null }, body, ANSWER);
  }
  // An error is 'X' and its JSON, no more: the reap script writes one itself.
  const { code, message } = outcome.error;
  return Buffer.concat([Buffer.of(ERROR), Buffer.from(JSON.stringify({ code, message }))]);
}

export function decodeOutcome(blob: Buffer): JobOutcome {
  if (blob[0] === ANSWER) {
    const { head, body } = unpack<
      Omit<Answer, 'body' | 'contentType'> & { contentType: string | null }
    >(blob, 1);
    return { answer: { ...head, contentType: head.contentType ?? undefined, body } };
  }
  const { code, message } = JSON.parse(blob.toString('utf8', 1)) as {
    code: ErrorCode;
    message: string;
  };
  return { error: { code, message } };
}

/** A take's reply for one job, as the take script returns it. */
export type TakenReply = [
  blob: Buffer,
  deliveryId: Buffer,
  attempt: number,
  leaseMs: number,
  queuedMs: number,
];

export function decodeDelivery([blob, id, attempt, leaseMs]: TakenReply): Delivery {
  return { id: id.toString(), job: decodeJob(blob), attempt, leaseMs };
}

import {
  ANSWER_BATCH_TYPE,
  BATCH_COMPANION_BYTES,
  MAX_BATCH_JOBS,
  type WireAnswerHead,
} from '../protocol.js';
import type { WorkerAnswer } from './answer.js';

/** An answer ready to go, with the delivery it answers and when its caller stops waiting. */
export interface ReadyAnswer {
  readonly id: string;
  readonly deadline: number;
  readonly answer: WorkerAnswer;
}

/**
 * Removes from `ready` the answers of the next batch, oldest first: at most 100,
 * with at most 64 KiB beside the first, so a batch never passes the hub's body
 * limit by more than the room it leaves for framing.
 */
export function nextBatch(ready: ReadyAnswer[]): ReadyAnswer[] {
  let bytes = 0;
  let count = 1;
  for (; count < ready.length && count < MAX_BATCH_JOBS; count++) {
    // biome-ignore lint/style/noNonNullAssertion: count < ready.length
    bytes += sizeOf(ready[count]!.answer);
    if (bytes > BATCH_COMPANION_BYTES) break;
  }
  return ready.splice(0, count);
}

function sizeOf(answer: WorkerAnswer): number {
  const headers =
    Object.keys(answer.headers).length === 0 ? 0 : JSON.stringify(answer.headers).length;
  return answer.body.byteLength + headers;
}

/** The body of `POST /jobs`: a line of JSON heads, then the bodies back to back ([P-BATCH]). */
export function encodeAnswerBatch(batch: readonly ReadyAnswer[]): {
  contentType: string;
  body: Buffer;
} {
  const heads: WireAnswerHead[] = batch.map(({ id, answer }) => ({
    id,
    status: answer.status,
    ...(answer.contentType === undefined ? {} : { contentType: answer.contentType }),
    ...(Object.keys(answer.headers).length === 0 ? {} : { headers: answer.headers }),
    length: answer.body.byteLength,
  }));
  const parts = [Buffer.from(`${JSON.stringify(heads)}\n`), ...batch.map((a) => a.answer.body)];
  return { contentType: ANSWER_BATCH_TYPE, body: Buffer.concat(parts) };
}

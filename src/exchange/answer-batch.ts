import type { DeliveryAnswer } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import {
  ANSWER_BATCH_TYPE,
  answerHeaderProblem,
  answerHeadersOf,
  MAX_BATCH_ANSWERS,
  type WireAnswerHead,
} from '../protocol.js';

const NEWLINE = 0x0a;

/** One answer of a batch: ready to hand over, or refused on its own with `error`. */
export type BatchItem =
  | (DeliveryAnswer & { readonly error?: undefined })
  | { readonly id: string; readonly error: HubError };

/**
 * Reads an answer batch ([P-BATCH]): a line of JSON heads, then the bodies back to
 * back. The framing is checked whole before any answer is handed over, so a
 * malformed batch changes nothing; an answer whose own status or headers are bad
 * is refused alone ([P-BATCH-OUTCOMES]), and the rest still count. Bodies are
 * views into `body`, never copies.
 */
export function parseAnswerBatch(
  contentType: string | undefined,
  body: Uint8Array,
  maxAnswerBytes: number,
): BatchItem[] {
  if ((contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() !== ANSWER_BATCH_TYPE) {
    throw invalidBatch(`an answer batch has Content-Type ${ANSWER_BATCH_TYPE}`);
  }
  const newline = body.indexOf(NEWLINE);
  if (newline < 0) throw invalidBatch('the first line, a JSON array of answer heads, has no end');
  let heads: unknown;
  try {
    heads = JSON.parse(Buffer.from(body.buffer, body.byteOffset, newline).toString('utf8'));
  } catch {
    throw invalidBatch('the first line is not JSON');
  }
  if (!Array.isArray(heads) || heads.length > MAX_BATCH_ANSWERS) {
    throw invalidBatch(
      `the first line must be a JSON array of at most ${MAX_BATCH_ANSWERS} answer heads`,
    );
  }
  let offset = newline + 1;
  const items = heads.map((value: unknown, index): BatchItem => {
    const head = checkFraming(value, index);
    if (head.length > maxAnswerBytes) {
      throw new HubError(
        ErrorCode.PayloadTooLarge,
        `answer ${index}'s body is larger than ${maxAnswerBytes} bytes`,
      );
    }
    const end = offset + head.length;
    if (end > body.byteLength) {
      throw invalidBatch(`answer ${index} claims ${head.length} bytes, past the end of the body`);
    }
    const answerBody = body.subarray(offset, end);
    offset = end;
    return itemOf(head, answerBody);
  });
  if (offset !== body.byteLength) {
    throw invalidBatch(`${body.byteLength - offset} bytes follow the last answer's body`);
  }
  return items;
}

/** What the batch's framing needs of a head: an object with an id and a length. */
function checkFraming(
  value: unknown,
  index: number,
): Record<string, unknown> & {
  id: string;
  length: number;
} {
  const bad = (what: string) => invalidBatch(`answer ${index}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not an object');
  const { id, length } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw bad('`id` must be a delivery id');
  if (!Number.isInteger(length) || (length as number) < 0) {
    throw bad('`length` must be a whole number of bytes');
  }
  return value as Record<string, unknown> & { id: string; length: number };
}

/** The answer a well-framed head gives, or the error that refuses it alone. */
function itemOf(head: Record<string, unknown> & { id: string }, body: Uint8Array): BatchItem {
  const { id, status = 200, contentType, headers } = head;
  if (!Number.isInteger(status)) {
    return { id, error: new HubError(ErrorCode.InvalidStatus, '`status` must be an integer') };
  }
  const problem = answerHeaderProblem(contentType, headers);
  if (problem !== undefined) {
    return { id, error: new HubError(ErrorCode.InvalidHeader, problem) };
  }
  const { contentType: type, headers: returned } = head as unknown as WireAnswerHead;
  return {
    id,
    answer: {
      status: status as number,
      contentType: type,
      headers: answerHeadersOf(returned ?? {}),
      body,
    },
  };
}

function invalidBatch(message: string): HubError {
  return new HubError(ErrorCode.InvalidBatch, message);
}

import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { DeliveryAnswer } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { ANSWER_BATCH_TYPE, type WireAnswerHead } from '../protocol.js';
import { batchAnswerHeaders } from './header-rules.js';

/** The most answers one batch carries; the body limit bounds their bytes. */
export const MAX_BATCH_ANSWERS = 1000;

const NEWLINE = 0x0a;

/**
 * Reads an answer batch ([P-BATCH]): a line of JSON heads, then the bodies back to
 * back. The whole batch is checked before any answer is handed over, so a
 * malformed one changes nothing. Bodies are views into `body`, never copies.
 */
export function parseAnswerBatch(
  contentType: string | undefined,
  body: Uint8Array,
  maxAnswerBytes: number,
): DeliveryAnswer[] {
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
  const answers = heads.map((value: unknown, index): DeliveryAnswer => {
    const head = checkHead(value, index);
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
    const answer = {
      status: head.status ?? 200,
      contentType: head.contentType,
      headers: batchAnswerHeaders(head.headers ?? {}),
      body: body.subarray(offset, end),
    };
    offset = end;
    return { id: head.id, answer };
  });
  if (offset !== body.byteLength) {
    throw invalidBatch(`${body.byteLength - offset} bytes follow the last answer's body`);
  }
  return answers;
}

function checkHead(value: unknown, index: number): WireAnswerHead {
  const bad = (what: string) => invalidBatch(`answer ${index}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not an object');
  const { id, status, contentType, headers, length } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') throw bad('`id` must be a delivery id');
  if (status !== undefined && !Number.isInteger(status)) throw bad('`status` must be an integer');
  if (!Number.isInteger(length) || (length as number) < 0) {
    throw bad('`length` must be a whole number of bytes');
  }
  if (contentType !== undefined && !isHeaderValue(contentType)) {
    throw bad('`contentType` must be a valid header value');
  }
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      throw bad('`headers` must be an object of header names to values');
    }
    for (const [name, headerValue] of Object.entries(headers)) {
      if (!isHeaderName(name) || !isHeaderValue(headerValue)) {
        throw bad(`header '${name.slice(0, 40)}' is not a valid HTTP header`);
      }
    }
  }
  return value as WireAnswerHead;
}

/** Node's own checks, the ones the caller's response would otherwise fail later. */
function isHeaderName(name: string): boolean {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
}

function isHeaderValue(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    validateHeaderValue('x', value);
    return true;
  } catch {
    return false;
  }
}

function invalidBatch(message: string): HubError {
  return new HubError(ErrorCode.InvalidBatch, message);
}

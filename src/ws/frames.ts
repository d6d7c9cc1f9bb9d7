import { ErrorCode, HubError } from '../errors.js';
import { isHeaderName, isHeaderValue, MAX_FAILURE_MESSAGE, splitBinaryFrame } from '../protocol.js';
import { jsonMemberText } from '../raw-json.js';
import { ownBytes } from '../util/own-bytes.js';

/**
 * The frames of the WebSocket channel (docs/websocket.md): JSON text frames, and
 * under switchboard.v2 binary answer and request frames that carry bodies as bytes.
 * Worker frames carry `type`; caller frames are wsrest's request frames, which
 * carry `uid`, `m` and `r` and no `type`.
 */

/** A worker says which services it serves and how many jobs it can hold at once. */
export interface ServeFrame {
  readonly type: 'serve';
  readonly services: readonly string[];
  readonly credit: number;
  readonly worker: string | undefined;
  /** Every job body as base64 (`encoding: "base64"`), as a poll with `?encoding=base64` gets it. */
  readonly base64: boolean;
}

/** A new number of jobs the socket can hold at once. */
export interface CreditFrame {
  readonly type: 'credit';
  readonly credit: number;
}

/** A worker's answer to a job it holds: `POST /jobs/:id` as a frame. */
export interface AnswerFrame {
  readonly type: 'answer';
  readonly id: string;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly body: Uint8Array;
}

export interface FailFrame {
  readonly type: 'fail';
  readonly id: string;
  readonly message: string;
  readonly retry: boolean;
}

export interface HeartbeatFrame {
  readonly type: 'heartbeat';
  readonly id: string;
}

/** For a client that cannot set headers on the upgrade: the token, as the socket's first frame. */
export interface AuthFrame {
  readonly type: 'auth';
  readonly token: string;
}

/** A caller gives up a request it sent: as an HTTP caller that disconnects. */
export interface CancelFrame {
  readonly type: 'cancel';
  readonly uid: string;
}

/** A call, as wsrest frames one: an HTTP request of the caller routes. */
export interface RequestFrame {
  readonly type: 'request';
  readonly uid: string;
  readonly method: string;
  readonly route: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
}

/**
 * A subscription to a topic (docs/websocket.md, [P-WS-SUBSCRIBE]): `sid` is the
 * client's name for it; `after` a message id to start after (-1: the oldest
 * kept), or absent for what is published from now on.
 */
export interface SubscribeFrame {
  readonly type: 'subscribe';
  readonly sid: string;
  readonly topic: string;
  readonly after: number | 'new';
  /** Only the event envelopes of this version (docs/events-protocol.md). */
  readonly version?: number | undefined;
}

/** Ends a subscription once every message published before this frame has been sent. */
export interface UnsubscribeFrame {
  readonly type: 'unsubscribe';
  readonly sid: string;
}

export type Frame =
  | SubscribeFrame
  | UnsubscribeFrame
  | ServeFrame
  | CreditFrame
  | AnswerFrame
  | FailFrame
  | HeartbeatFrame
  | AuthFrame
  | CancelFrame
  | RequestFrame;

/** The longest uid, job id or message a frame may carry, in characters. */
const MAX_ID = 256;

function invalid(message: string): HubError {
  return new HubError(ErrorCode.InvalidFrame, message);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(frame: Record<string, unknown>, field: string, max = MAX_ID): string {
  const value = frame[field];
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw invalid(`'${field}' must be a string of 1 to ${max} characters`);
  }
  return value;
}

function count(frame: Record<string, unknown>, field: string): number {
  const value = frame[field];
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalid(`'${field}' must be a whole number from 0`);
  }
  return value as number;
}

/**
 * A body as a frame carries it: `body` a JSON value, or `body64` the exact bytes
 * in base64. `undefined` when neither is there. A JSON value's bytes are its text
 * as the frame (`data`) spells it, never parsed and re-encoded: big integers,
 * `1.0` and the sender's spacing reach the other side as sent.
 */
function bodyOf(
  data: string,
  frame: Record<string, unknown>,
  jsonField: string,
  base64Field: string,
  binary: Uint8Array | undefined,
) {
  if (binary) {
    if (jsonField in frame || base64Field in frame) {
      throw invalid(
        `a binary frame's body follows its head: no '${jsonField}' or '${base64Field}' in it`,
      );
    }
    return { bytes: binary, isJson: false };
  }
  const base64 = frame[base64Field];
  if (base64 !== undefined) {
    if (typeof base64 !== 'string') throw invalid(`'${base64Field}' must be a base64 string`);
    return { bytes: Buffer.from(base64, 'base64'), isJson: false };
  }
  if (!(jsonField in frame)) return undefined;
  const text = jsonMemberText(data, jsonField) ?? JSON.stringify(frame[jsonField]);
  return { bytes: Buffer.from(text), isJson: true };
}

/**
 * A request frame's headers, each a valid HTTP header: checked here, as Node
 * checks an HTTP request's, so a bad one is this frame's `invalid_frame` and
 * never a fault further in. The message names the header, never its value (it
 * may be a token).
 */
function headerRecord(value: unknown, field: string): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  if (value === undefined) return headers;
  const given = record(value);
  if (!given) throw invalid(`'${field}' must be an object of header names to strings`);
  for (const [name, line] of Object.entries(given)) {
    if (!isHeaderName(name)) throw invalid(`'${field}' has a name that is not an HTTP header name`);
    if (!isHeaderValue(line)) {
      throw invalid(`'${field}': the value of '${name.slice(0, 40)}' is not a valid header value`);
    }
    headers[name] = line;
  }
  return headers;
}

/**
 * Parses one frame; throws `invalid_json` or `invalid_frame` (with the uid, if it
 * has one). A text frame is JSON; a binary one (switchboard.v2) is an answer or a
 * request frame's JSON head, a newline, and its body's bytes.
 */
export function parseFrame(data: string | Buffer): Frame {
  if (typeof data === 'string') return parseTextFrame(data, jsonObject(data), undefined);
  const split = splitBinaryFrame(data);
  if (!split) throw invalid('a binary frame is a JSON head, a newline, then the body');
  const head = jsonObject(split.head);
  if (head.type !== 'answer' && !(head.type === undefined && 'uid' in head)) {
    throw invalid('only answer and request frames are binary; send the others as text');
  }
  // A message of its own buffer keeps only its own head besides the body; a
  // view into a larger one would keep the rest alive with a queued job: copied.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return parseTextFrame(split.head, head, own ? split.body : ownBytes([split.body]));
}

function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HubError(ErrorCode.InvalidJson, 'a frame must be one JSON object');
  }
  const frame = record(value);
  if (!frame) throw invalid('a frame must be a JSON object');
  return frame;
}

/** A frame from its JSON (`data`, parsed as `frame`), with a binary frame's body if any. */
function parseTextFrame(
  data: string,
  frame: Record<string, unknown>,
  binary: Uint8Array | undefined,
): Frame {
  if (frame.type === undefined && 'uid' in frame) return requestFrame(data, frame, binary);
  switch (frame.type) {
    case 'subscribe': {
      const { after, version } = frame;
      if (after !== undefined && (!Number.isSafeInteger(after) || (after as number) < -1)) {
        throw invalid("'after' must be a message id, or -1 for the oldest kept");
      }
      if (
        version !== undefined &&
        (!Number.isSafeInteger(version) ||
          (version as number) < 1 ||
          (version as number) > 2 ** 31 - 1)
      ) {
        throw invalid("'version' must be an event version, a whole number from 1");
      }
      return {
        type: 'subscribe',
        sid: text(frame, 'sid'),
        topic: text(frame, 'topic'),
        after: after === undefined ? 'new' : (after as number),
        version: version as number | undefined,
      };
    }
    case 'unsubscribe':
      return { type: 'unsubscribe', sid: text(frame, 'sid') };
    case 'serve': {
      const services = frame.services;
      if (!Array.isArray(services) || services.length === 0 || services.length > 100) {
        throw invalid("'services' must be a list of 1 to 100 service names");
      }
      if (!services.every((s) => typeof s === 'string')) throw invalid("'services' must be names");
      const worker = frame.worker === undefined ? undefined : text(frame, 'worker', 128);
      if (frame.encoding !== undefined && frame.encoding !== 'base64') {
        throw invalid('\'encoding\' must be "base64" or absent');
      }
      return {
        type: 'serve',
        services: [...new Set(services)],
        credit: count(frame, 'credit'),
        worker,
        base64: frame.encoding === 'base64',
      };
    }
    case 'credit':
      return { type: 'credit', credit: count(frame, 'credit') };
    case 'answer': {
      const status = frame.status ?? 200;
      if (!Number.isInteger(status)) throw invalid("'status' must be a whole number");
      const contentType = frame.contentType;
      if (contentType !== undefined && typeof contentType !== 'string') {
        throw invalid("'contentType' must be a string");
      }
      const body = bodyOf(data, frame, 'body', 'body64', binary);
      return {
        type: 'answer',
        id: text(frame, 'id'),
        status: status as number,
        contentType: contentType ?? (body?.isJson ? 'application/json' : undefined),
        headers: frame.headers as AnswerFrame['headers'],
        body: body?.bytes ?? new Uint8Array(0),
      };
    }
    case 'fail': {
      const { message = 'the worker reported a failure', retry = false } = frame;
      if (typeof message !== 'string' || typeof retry !== 'boolean') {
        throw invalid("a fail frame has 'message' (string) and 'retry' (boolean)");
      }
      return {
        type: 'fail',
        id: text(frame, 'id'),
        message: message.slice(0, MAX_FAILURE_MESSAGE),
        retry,
      };
    }
    case 'heartbeat':
      return { type: 'heartbeat', id: text(frame, 'id') };
    case 'auth':
      return { type: 'auth', token: text(frame, 'token', 4096) };
    case 'cancel':
      return { type: 'cancel', uid: text(frame, 'uid') };
    default:
      throw invalid(
        `unknown frame type '${String(frame.type).slice(0, 40)}': use serve, credit, answer, fail, heartbeat, auth, cancel, subscribe, unsubscribe, or a request frame with uid, m and r`,
      );
  }
}

/** wsrest's request frame: `{"uid", "m", "r", "h", "d" | "d64"}`. */
function requestFrame(
  data: string,
  frame: Record<string, unknown>,
  binary: Uint8Array | undefined,
): RequestFrame {
  const uid = text(frame, 'uid');
  const method = frame.m ?? 'POST';
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method)) {
    throw new FrameError(uid, "'m' must be an HTTP method");
  }
  const route = frame.r;
  if (typeof route !== 'string' || !route.startsWith('/') || route.length > 8192) {
    throw new FrameError(uid, "'r' must be a route starting with '/'");
  }
  try {
    const headers = headerRecord(frame.h, 'h');
    const body = bodyOf(data, frame, 'd', 'd64', binary);
    if (body?.isJson && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    return {
      type: 'request',
      uid,
      method: method.toUpperCase(),
      route,
      headers,
      body: body?.bytes,
    };
  } catch (error) {
    if (error instanceof HubError) throw new FrameError(uid, error.message);
    throw error;
  }
}

/** A request frame that is malformed, with its uid, so the caller's answer can say so. */
export class FrameError extends HubError {
  readonly uid: string;

  constructor(uid: string, message: string) {
    super(ErrorCode.InvalidFrame, message);
    this.uid = uid;
  }
}

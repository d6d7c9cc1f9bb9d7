import type WebSocket from 'ws';
import { binaryFrame, splitBinaryFrame } from '../protocol.js';
import { HUB_UNREACHABLE, HubClientError } from './errors.js';
import { closeRefusal, type HubFrame, openHubSocket } from './hub-socket.js';

/** A request frame as wsrest frames a call (docs/websocket.md), less its uid, and its body. */
export interface RequestFrame {
  readonly m: string;
  readonly r: string;
  readonly h: Record<string, string>;
}

/** The hub's response frame to a request, with its body's bytes. */
export interface ResponseFrame {
  readonly c: number;
  /** A header's lines that cannot be joined (Set-Cookie) come as a list. */
  readonly h: Record<string, string | string[]>;
  /** The body's exact bytes: after a binary frame's head, or a text frame's `d` as spelled, or `d64`. */
  readonly bytes: Uint8Array;
}

interface Pending {
  resolve(frame: ResponseFrame): void;
  reject(error: unknown): void;
}

/**
 * One WebSocket to the hub carrying many calls at once, each a request frame
 * matched to its response by uid. Opened on the first call; when it closes,
 * the calls in flight fail with `hub_unreachable` (the hub cancelled them) and
 * the next call opens a new one.
 */
/** One open socket and the calls in flight on it. */
interface Connection {
  readonly socket: WebSocket;
  readonly pending: Map<string, Pending>;
}

export class CallerSocket {
  readonly #url: string;
  readonly #token: string | undefined;
  #connection: Promise<Connection> | undefined;
  #lastUid = 0;

  constructor(url: string, token: string | undefined) {
    this.#url = url;
    this.#token = token;
  }

  /**
   * Sends a request as a binary frame (switchboard.v2), its body as its bytes; an
   * abort sends a cancel frame and rejects with the signal's reason.
   */
  async request(
    frame: RequestFrame,
    body: Uint8Array,
    signal?: AbortSignal,
  ): Promise<ResponseFrame> {
    signal?.throwIfAborted();
    const { socket, pending } = await this.#open();
    // Aborted while the socket was opening: its listener below would never fire.
    signal?.throwIfAborted();
    const uid = String(++this.#lastUid);
    return new Promise((resolve, reject) => {
      const cancel = () => {
        if (!pending.delete(uid)) return;
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'cancel', uid }));
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', cancel, { once: true });
      const settle =
        <T>(finish: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener('abort', cancel);
          finish(value);
        };
      pending.set(uid, { resolve: settle(resolve), reject: settle(reject) });
      socket.send(binaryFrame(JSON.stringify({ uid, ...frame }), body), { binary: true });
    });
  }

  /** Closes the socket; calls in flight fail. */
  async close(): Promise<void> {
    const opening = this.#connection;
    this.#connection = undefined;
    const connection = await opening?.catch(() => undefined);
    connection?.socket.close(1000, 'client closed');
  }

  #open(): Promise<Connection> {
    if (this.#connection) return this.#connection;
    const opening = openHubSocket(this.#url, this.#token).then((socket) => {
      const pending = new Map<string, Pending>();
      socket.on('message', (data: Buffer, isBinary: boolean) => settle(pending, data, isBinary));
      socket.once('close', (code, reason) => {
        if (this.#connection === opening) this.#connection = undefined;
        const lost =
          closeRefusal(code, reason) ??
          new HubClientError(
            HUB_UNREACHABLE,
            `the WebSocket to the hub at ${this.#url} closed with the call in flight`,
          );
        for (const call of pending.values()) call.reject(lost);
        pending.clear();
      });
      return { socket, pending };
    });
    // A failed open is not kept: the next call tries again.
    opening.catch(() => {
      if (this.#connection === opening) this.#connection = undefined;
    });
    this.#connection = opening;
    return opening;
  }
}

/** Hands a response frame to its call; frames of no call in flight (errors, late ones) are dropped. */
function settle(pending: Map<string, Pending>, data: Buffer, isBinary: boolean): void {
  const split = isBinary ? splitBinaryFrame(data) : undefined;
  const text = split ? split.head : String(data);
  const frame = JSON.parse(text) as HubFrame & { c: number; h: ResponseFrame['h'] };
  if (typeof frame.uid !== 'string') return;
  const call = pending.get(frame.uid);
  if (!call) return;
  pending.delete(frame.uid);
  const body = split ? split.body : textFrameBody(frame, text);
  // A Uint8Array, as `response.arrayBuffer()` gives over HTTP: the same type either way.
  call.resolve({
    c: frame.c,
    h: frame.h,
    bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
  });
}

/** A text response frame's body (the hub's own refusals come so): `d` as spelled, or `d64`. */
function textFrameBody(frame: HubFrame, text: string): Buffer {
  if (typeof frame.d64 === 'string') return Buffer.from(frame.d64, 'base64');
  if (!('d' in frame)) return Buffer.alloc(0);
  return Buffer.from(rawBody(text) ?? JSON.stringify(frame.d));
}

/**
 * The JSON body of a response frame as the worker wrote it: the hub splices it in
 * last, unparsed (`{"uid",...,"h":{...},"d":<body>}`), so its bytes (whitespace,
 * a trailing newline, a big integer's digits) survive where `JSON.stringify(d)`
 * would change them. Nothing before `d` can hold `,"d":` unescaped: header names
 * are tokens and every string value escapes its quotes.
 */
function rawBody(text: string): string | undefined {
  const start = text.indexOf(',"d":');
  return start === -1 || !text.endsWith('}') ? undefined : text.slice(start + 5, -1);
}

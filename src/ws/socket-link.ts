import type { RawData, WebSocket } from 'ws';
import type { Grant } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { CloseCode, WS_AUTH_FRAME_MAX_BYTES } from '../protocol.js';
import type { Dispatch } from './caller-session.js';
import { Channel } from './channel.js';
import { FrameInbox } from './frame-inbox.js';

export interface SocketLinkOptions {
  readonly hub: Hub;
  readonly dispatch: Dispatch;
  /** The token on the upgrade, if any; with auth on and none, the first frame must be `auth`. */
  readonly grant: Grant | undefined;
  readonly authorization: string | undefined;
  readonly authenticate: ((authorization: string) => Grant) | undefined;
  readonly authTimeoutMs: number;
  readonly maxCredit: number;
  readonly maxInFlight: number;
  readonly maxFrameBytes: number;
  readonly maxBodyBytes: number;
  /** A socket authenticated by its `auth` frame; false refuses it (its token is full). */
  readonly authenticated: (grant: Grant) => boolean;
  /** The socket has closed. */
  readonly closed: () => void;
}

/** Frames' worth of bytes a socket may leave unread before it is cut. */
const UNREAD_FRAMES = 4;

/**
 * Joins one `ws` socket to its Channel: text frames in through a `FrameInbox`,
 * frames out unless the peer has stopped reading, and a small frame limit until
 * the socket has authenticated ([P-WS-AUTH]).
 */
export function linkSocket(ws: WebSocket, options: SocketLinkOptions): void {
  const unreadLimit = UNREAD_FRAMES * options.maxFrameBytes;
  const mustAuthenticate = options.authenticate !== undefined && options.grant === undefined;
  if (mustAuthenticate) setMaxPayload(ws, WS_AUTH_FRAME_MAX_BYTES);
  const channel = new Channel(
    options.hub,
    options.dispatch,
    {
      send: (frame) => send(ws, frame, unreadLimit),
      close: (code, reason) => closeSoon(ws, code, reason),
    },
    {
      maxCredit: options.maxCredit,
      maxInFlight: options.maxInFlight,
      maxBodyBytes: options.maxBodyBytes,
      authenticate: options.authenticate,
      authTimeoutMs: options.authTimeoutMs,
      grant: options.grant,
      authorization: options.authorization,
      authenticated: (grant) => {
        if (!options.authenticated(grant)) return false;
        setMaxPayload(ws, options.maxFrameBytes);
        return true;
      },
    },
  );
  const inbox = new FrameInbox((data) => channel.receive(data), ws);
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      ws.close(CloseCode.UnsupportedData, 'frames are JSON text');
      return;
    }
    inbox.push(String(data));
  });
  ws.on('error', () => {});
  ws.once('close', () => {
    inbox.close();
    options.closed();
    void channel.closed();
  });
}

/** How long a peer has to answer the hub's close frame before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Closes with `code`; a peer that does not answer the close (it may have stopped
 * reading) is cut after `CLOSE_GRACE_MS`, not `ws`'s own 30 s.
 */
function closeSoon(ws: WebSocket, code: number, reason: string): void {
  ws.close(code, reason);
  setTimeout(() => {
    if (ws.readyState !== ws.CLOSED) ws.terminate();
  }, CLOSE_GRACE_MS).unref();
}

/**
 * Sends a text frame, unless the peer has stopped reading: a socket whose unsent
 * bytes pass `unreadLimit` (a client that sends requests or bad frames and never
 * reads the answers) is cut, rather than growing the hub's memory. Its held jobs
 * are handed on and its requests cancelled, as for any closed socket.
 */
function send(socket: WebSocket, frame: string | Buffer, unreadLimit: number): void {
  if (socket.bufferedAmount > unreadLimit) {
    socket.terminate();
    return;
  }
  socket.send(frame, { binary: false });
}

/**
 * The largest frame the socket's parser accepts from now on. `ws` takes one
 * `maxPayload` per server; a socket still to authenticate gets a few KiB, so an
 * anonymous client cannot make the hub buffer megabytes. Where a later `ws` no
 * longer has the field, only the early limit is lost: every frame is still
 * checked against the server's.
 */
function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { Grant } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { CloseCode, WS_AUTH_FRAME_MAX_BYTES } from '../protocol.js';
import type { CallerRoutes } from './caller-session.js';
import { Channel, type ChannelStart } from './channel.js';
import { FrameInbox } from './frame-inbox.js';
import { SendBuffer, type UnsentTotal } from './send-buffer.js';

/** What a channel is told, less what the link itself adds (`authenticated`), plus the socket's own limits. */
export interface SocketLinkOptions extends Omit<ChannelStart, 'authenticated'> {
  /** Every socket's unsent bytes, against `HUB_WS_MAX_UNSENT_TOTAL_BYTES`. */
  readonly unsent: UnsentTotal;
  readonly maxUnsentBytes: number;
  /** How long a socket under pressure may make no progress before it is cut. */
  readonly stallMs: number;
  readonly hub: Hub;
  readonly routes: CallerRoutes;
  readonly maxFrameBytes: number;
  /** A socket authenticated by its `auth` frame; false refuses it (its token is full). */
  readonly authenticated: (grant: Grant) => boolean;
  /** The socket has closed. */
  readonly closed: () => void;
}

/**
 * Joins one `ws` socket (and the network socket under it, for its `drain`) to
 * its Channel: text frames in through a `FrameInbox`, frames out through a
 * `SendBuffer`, and a small frame limit until the socket has authenticated
 * ([P-WS-AUTH]).
 */
export function linkSocket(ws: WebSocket, socket: Duplex, options: SocketLinkOptions): void {
  const reading = new ReadGate(ws);
  const mustAuthenticate = options.authenticate !== undefined && options.grant === undefined;
  if (mustAuthenticate) setMaxPayload(ws, WS_AUTH_FRAME_MAX_BYTES);
  // Set once the channel exists; pressure can only come from what it sends.
  let channel: Channel | undefined;
  const sent = new SendBuffer(ws, socket, options, options.unsent, (on) => {
    if (on) reading.hold();
    else reading.release();
    channel?.pressure(on);
  });
  channel = new Channel(
    options.hub,
    options.routes,
    {
      send: (frame, binary) => sent.send(frame, binary),
      close: (code, reason) => closeSoon(ws, code, reason),
      unsent: () => sent.unsent,
    },
    {
      ...options,
      authenticated: (grant) => {
        if (!options.authenticated(grant)) return false;
        setMaxPayload(ws, options.maxFrameBytes);
        return true;
      },
    },
  );
  const inbox = new FrameInbox((data) => channel.receive(data), {
    pause: () => reading.hold(),
    resume: () => reading.release(),
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      inbox.push(String(data));
    } else if (options.binary) {
      inbox.push(data as Buffer);
    } else {
      ws.close(
        CloseCode.UnsupportedData,
        'frames are JSON text (binary frames are switchboard.v2)',
      );
    }
  });
  ws.on('error', () => {});
  ws.once('close', () => {
    inbox.close();
    sent.close();
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
 * Stops reading a socket while anything holds it (a burst of frames waiting, a
 * peer that reads too slowly) and reads again when nothing does: two reasons,
 * one switch.
 */
class ReadGate {
  readonly #ws: WebSocket;
  #holds = 0;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  hold(): void {
    if (this.#holds++ === 0) this.#ws.pause();
  }

  release(): void {
    if (--this.#holds === 0) this.#ws.resume();
  }
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

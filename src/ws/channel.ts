import type { Grant } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import { log } from '../log.js';
import { CloseCode, TOKEN_NEEDED, WS_AUTH_FRAME_MAX_BYTES } from '../protocol.js';
import { type CallerRoutes, CallerSession, errorResponseFrame } from './caller-session.js';
import { type Frame, FrameError, parseFrame } from './frames.js';
import { SubscriberSession } from './subscriber-session.js';
import { errorFrame, type FrameSink, WorkerSession } from './worker-session.js';

/** The socket as a channel uses it. */
export type Peer = FrameSink;

export interface ChannelOptions {
  readonly maxCredit: number;
  readonly maxInFlight: number;
  /** `HUB_MAX_BODY_BYTES`: the largest answer body a frame may carry, as over HTTP. */
  readonly maxBodyBytes: number;
  /** `HUB_COMPAT=astrohub`: every job's body as base64 (docs/astrohub.md). */
  readonly base64Always: boolean;
  /** The socket speaks switchboard.v2: jobs and responses go as binary frames, bodies as bytes. */
  readonly binary: boolean;
  /** Checks a token (`auth` frame); undefined when auth is off. */
  readonly authenticate: ((authorization: string) => Grant) | undefined;
  /** How long a socket that must send an `auth` frame may take to send it. */
  readonly authTimeoutMs: number;
  /** Told when an `auth` frame names a known token; false refuses the socket (its token has too many). */
  readonly authenticated?: (grant: Grant) => boolean;
}

/** A channel's options, with the token its upgrade carried (none: auth off, or an `auth` frame to come). */
export interface ChannelStart extends ChannelOptions {
  readonly grant: Grant | undefined;
  readonly authorization: string | undefined;
}

/**
 * Malformed frames (`invalid_json`, `invalid_frame`) a socket may send in its
 * life: a client that keeps sending them is broken or hostile, and answering each
 * with an error frame for ever would let it spend the hub's time.
 */
export const MAX_INVALID_FRAMES = 100;

/** The codes of frames that are wrong in themselves, counted against `MAX_INVALID_FRAMES`. */
const MALFORMED: ReadonlySet<string> = new Set([ErrorCode.InvalidJson, ErrorCode.InvalidFrame]);

/**
 * One WebSocket: its frames in, routed to the worker side (serve, credit,
 * answer, fail, heartbeat) or the caller side (wsrest request frames). A frame
 * that is wrong on its own gets an error frame and changes nothing; a socket
 * that must authenticate first and does not is closed.
 */
export class Channel {
  readonly #peer: Peer;
  readonly #options: ChannelOptions;
  readonly #worker: WorkerSession;
  readonly #caller: CallerSession;
  readonly #subscriber: SubscriberSession;
  #grant: Grant | undefined;
  #authorization: string | undefined;
  #authenticated: boolean;
  #authTimer: NodeJS.Timeout | undefined;
  #invalidFrames = 0;

  constructor(hub: Hub, routes: CallerRoutes, peer: Peer, options: ChannelStart) {
    this.#peer = peer;
    this.#options = options;
    this.#grant = options.grant;
    this.#authorization = options.authorization;
    // Auth off, or a token on the upgrade: ready. Else the first frame must be `auth`.
    this.#authenticated = !options.authenticate || options.grant !== undefined;
    // A socket that never authenticates must not hold a slot for ever.
    if (!this.#authenticated) {
      this.#authTimer = setTimeout(
        () => peer.close(CloseCode.Unauthorized, 'no auth frame in time'),
        options.authTimeoutMs,
      );
    }
    this.#worker = new WorkerSession(hub, peer, options);
    this.#subscriber = new SubscriberSession(hub.topics, peer, { binary: options.binary });
    this.#caller = new CallerSession(routes, peer, {
      maxInFlight: options.maxInFlight,
      binary: options.binary,
      grant: () => this.#grant,
      authorization: () => this.#authorization,
    });
  }

  /** A text frame, or (switchboard.v2) a binary one. */
  receive(data: string | Buffer): void {
    if (!this.#authenticated) {
      this.#authenticate(data);
      return;
    }
    let frame: Frame;
    try {
      frame = parseFrame(data);
    } catch (error) {
      this.#refuse(error, undefined);
      return;
    }
    // A frame done at once (serve, credit, cancel) makes no promise; one the hub
    // must wait on brings its own, and only that one gets a handler.
    let pending: Promise<void> | undefined;
    try {
      pending = this.#handle(frame);
    } catch (error) {
      this.#refuse(error, frame);
      return;
    }
    pending?.catch((error: unknown) => this.#refuse(error, frame));
  }

  /** The peer reads too slowly (`on`), or has caught up: no jobs are pushed to it meanwhile. */
  pressure(on: boolean): void {
    this.#worker.pressure(on);
  }

  /** The socket closed: callers' requests are cancelled, held jobs handed on. */
  async closed(): Promise<void> {
    clearTimeout(this.#authTimer);
    this.#caller.close();
    this.#subscriber.close();
    await this.#worker.close();
  }

  /**
   * A socket's first frame where auth is on and the upgrade carried no token: an
   * `auth` frame with a known token, or the socket is closed with 4401. Nothing
   * else is answered before auth, not even a parse error ([P-WS-AUTH]).
   */
  #authenticate(data: string | Buffer): void {
    const authenticate = this.#options.authenticate;
    let frame: Frame | undefined;
    try {
      if (typeof data === 'string' && data.length <= WS_AUTH_FRAME_MAX_BYTES) {
        frame = parseFrame(data);
      }
    } catch {}
    if (frame?.type !== 'auth' || !authenticate) {
      this.#peer.close(CloseCode.Unauthorized, TOKEN_NEEDED);
      return;
    }
    let grant: Grant;
    try {
      grant = authenticate(`Bearer ${frame.token}`);
    } catch {
      this.#peer.close(CloseCode.Unauthorized, 'unknown token');
      return;
    }
    clearTimeout(this.#authTimer);
    if (this.#options.authenticated && !this.#options.authenticated(grant)) {
      this.#peer.close(
        CloseCode.TryAgainLater,
        'too many WebSockets are open for this token (HUB_WS_MAX_SOCKETS_PER_TOKEN)',
      );
      return;
    }
    this.#authorization = `Bearer ${frame.token}`;
    this.#grant = grant;
    this.#authenticated = true;
    this.#peer.send(JSON.stringify({ type: 'ready' }));
  }

  /** Serves a frame; a promise only for what the hub must wait on. Throws or rejects to refuse it. */
  #handle(frame: Frame): Promise<void> | undefined {
    switch (frame.type) {
      case 'request':
        return this.#caller.request(frame);
      case 'cancel':
        this.#caller.cancel(frame.uid);
        return;
      case 'serve':
        this.#worker.serve(frame, this.#grant);
        // Its takes are parked now: a call from here on finds a worker ([P-NO-WORKERS]).
        this.#peer.send(JSON.stringify({ type: 'serving', services: frame.services }));
        return;
      case 'credit':
        this.#worker.credit(frame);
        return;
      case 'answer':
        return this.#worker.answer(frame);
      case 'fail':
        return this.#worker.fail(frame).then((outcome) => {
          this.#peer.send(JSON.stringify({ type: 'failed', id: frame.id, outcome }));
        });
      case 'heartbeat':
        return this.#worker.heartbeat(frame).then((leaseUntil) => {
          const leaseMs = Math.max(0, leaseUntil - Date.now());
          this.#peer.send(JSON.stringify({ type: 'lease', id: frame.id, leaseUntil, leaseMs }));
        });
      case 'subscribe':
        this.#subscriber.subscribe(frame, this.#grant);
        return;
      case 'unsubscribe':
        return this.#subscriber.unsubscribe(frame);
      case 'auth':
        throw new HubError(ErrorCode.InvalidFrame, 'this socket is already authenticated');
    }
  }

  /** An error frame for a frame refused on its own; a request frame's caller gets a response frame. */
  #refuse(error: unknown, frame: Frame | undefined): void {
    if (
      isHubError(error) &&
      MALFORMED.has(error.code) &&
      ++this.#invalidFrames > MAX_INVALID_FRAMES
    ) {
      this.#peer.close(CloseCode.PolicyViolation, `more than ${MAX_INVALID_FRAMES} invalid frames`);
      return;
    }
    // A HubError is an answer; anything else is a bug worth a stack trace.
    if (!isHubError(error)) log.error({ err: error }, 'a WebSocket frame failed inside the hub');
    const refused = isHubError(error)
      ? error
      : new HubError(ErrorCode.Internal, 'the frame failed inside the hub', { cause: error });
    if (refused instanceof FrameError) {
      this.#peer.send(errorResponseFrame(refused.uid, {}, refused));
    } else if (frame?.type === 'request') {
      this.#peer.send(errorResponseFrame(frame.uid, { m: frame.method, r: frame.route }, refused));
    } else {
      const about =
        frame && 'id' in frame
          ? { id: frame.id }
          : frame && 'sid' in frame
            ? { sid: frame.sid }
            : undefined;
      this.#peer.send(errorFrame(refused, about));
    }
  }
}

import type { Grant } from '../auth.js';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import { log } from '../log.js';
import { CloseCode } from '../protocol.js';
import { CallerSession, type Dispatch, errorResponseFrame } from './caller-session.js';
import { type Frame, FrameError, parseFrame } from './frames.js';
import { errorFrame, WorkerSession } from './worker-session.js';

/** The socket as a channel uses it. */
export interface Peer {
  send(frame: string | Buffer): void;
  close(code: number, reason: string): void;
}

export interface ChannelOptions {
  readonly maxCredit: number;
  readonly maxInFlight: number;
  /** Checks a token (`auth` frame); undefined when auth is off. */
  readonly authenticate: ((authorization: string) => Grant) | undefined;
  /** How long a socket that must send an `auth` frame may take to send it. */
  readonly authTimeoutMs: number;
}

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
  #grant: Grant | undefined;
  #authorization: string | undefined;
  #authenticated: boolean;
  #authTimer: NodeJS.Timeout | undefined;

  constructor(
    hub: Hub,
    dispatch: Dispatch,
    peer: Peer,
    options: ChannelOptions & { grant: Grant | undefined; authorization: string | undefined },
  ) {
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
    this.#worker = new WorkerSession(hub, peer, options.maxCredit);
    this.#caller = new CallerSession(dispatch, peer, {
      maxInFlight: options.maxInFlight,
      authorization: () => this.#authorization,
    });
  }

  receive(data: string): void {
    let frame: Frame;
    try {
      frame = parseFrame(data);
    } catch (error) {
      this.#refuse(error, undefined);
      return;
    }
    if (!this.#authenticated) {
      this.#authenticate(frame);
      return;
    }
    void this.#handle(frame).catch((error: unknown) => this.#refuse(error, frame));
  }

  /** The socket closed: callers' requests are cancelled, held jobs handed on. */
  async closed(): Promise<void> {
    clearTimeout(this.#authTimer);
    this.#caller.close();
    await this.#worker.close();
  }

  #authenticate(frame: Frame): void {
    const authenticate = this.#options.authenticate;
    if (frame.type !== 'auth' || !authenticate) {
      this.#peer.close(
        CloseCode.Unauthorized,
        'send an auth frame first, or a token on the upgrade',
      );
      return;
    }
    try {
      this.#authorization = `Bearer ${frame.token}`;
      this.#grant = authenticate(this.#authorization);
      this.#authenticated = true;
      clearTimeout(this.#authTimer);
      this.#peer.send(JSON.stringify({ type: 'ready' }));
    } catch {
      this.#peer.close(CloseCode.Unauthorized, 'unknown token');
    }
  }

  async #handle(frame: Frame): Promise<void> {
    switch (frame.type) {
      case 'request':
        return this.#caller.request(frame);
      case 'cancel':
        return this.#caller.cancel(frame.uid);
      case 'serve':
        this.#worker.serve(frame, this.#grant);
        // Its takes are parked now: a call from here on finds a worker ([P-NO-WORKERS]).
        this.#peer.send(JSON.stringify({ type: 'serving', services: frame.services }));
        return;
      case 'credit':
        return this.#worker.credit(frame);
      case 'answer':
        return this.#worker.answer(frame);
      case 'fail': {
        const outcome = await this.#worker.fail(frame);
        this.#peer.send(JSON.stringify({ type: 'failed', id: frame.id, outcome }));
        return;
      }
      case 'heartbeat': {
        const leaseUntil = await this.#worker.heartbeat(frame);
        const leaseMs = Math.max(0, leaseUntil - Date.now());
        this.#peer.send(JSON.stringify({ type: 'lease', id: frame.id, leaseUntil, leaseMs }));
        return;
      }
      case 'auth':
        throw new HubError(ErrorCode.InvalidFrame, 'this socket is already authenticated');
    }
  }

  /** An error frame for a frame refused on its own; a request frame's caller gets a response frame. */
  #refuse(error: unknown, frame: Frame | undefined): void {
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
      const id = frame && 'id' in frame ? frame.id : undefined;
      this.#peer.send(errorFrame(refused, id === undefined ? undefined : { id }));
    }
  }
}

import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';

/** Unsent bytes above which a socket is under pressure: the hub stops reading it and pushing jobs to it. */
export const HIGH_WATER_BYTES = 1024 * 1024;

/** Unsent bytes of every socket of one server, against the hub-wide cap. */
export class UnsentTotal {
  bytes = 0;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }
}

export interface SendBufferLimits {
  /** `HUB_WS_MAX_UNSENT_BYTES`: more unsent to one socket and it is cut. */
  readonly maxUnsentBytes: number;
  /** A socket under pressure whose unsent bytes do not go down for this long is cut. */
  readonly stallMs: number;
}

/**
 * What a socket has been sent and has not yet taken ([P-WS-FRAMES]). Under
 * `HIGH_WATER_BYTES` frames go out as they come. Above it the socket is under
 * pressure: `onPressure(true)` stops its reading and its job pushes (so a slow
 * reader is slowed, never cut for being slow), until the kernel has taken
 * everything (`drain`). A socket is cut only when it makes no progress for
 * `stallMs`, when its unsent bytes pass `maxUnsentBytes`, or when every
 * socket's together pass the hub-wide cap and it holds more than its high water.
 * Its held jobs are then handed on and its requests cancelled, as for any closed
 * socket.
 */
export class SendBuffer {
  readonly #ws: WebSocket;
  readonly #limits: SendBufferLimits;
  readonly #total: UnsentTotal;
  readonly #onPressure: (on: boolean) => void;
  readonly #socket: Writable;
  /** Unsent bytes as last counted into `#total`. */
  #counted = 0;
  #corked = false;
  /** What the socket held when this turn's cork began: all the peer has not taken of earlier turns. */
  #unsentAtCork = 0;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(
    ws: WebSocket,
    socket: Writable,
    limits: SendBufferLimits,
    total: UnsentTotal,
    onPressure: (on: boolean) => void,
  ) {
    this.#ws = ws;
    this.#socket = socket;
    this.#limits = limits;
    this.#total = total;
    this.#onPressure = onPressure;
    // Node's socket says when it has written all it was given.
    socket.on('drain', () => this.#recount());
  }

  send(frame: string | Buffer, binary = false): void {
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) return;
    // Frames sent in one go (a batch of jobs, the answers of one read) leave in
    // one write: the socket is corked for the rest of this tick.
    if (!this.#corked) {
      this.#unsentAtCork = ws.bufferedAmount;
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    ws.send(frame, { binary });
    const unsent = this.#recount();
    if (
      unsent > this.#limits.maxUnsentBytes ||
      (this.#total.bytes > this.#total.max && unsent > HIGH_WATER_BYTES)
    ) {
      this.close();
      ws.terminate();
      return;
    }
    if (unsent > HIGH_WATER_BYTES && this.#stallTimer === undefined) {
      this.#onPressure(true);
      this.#watchProgress(unsent);
    }
  }

  /**
   * Bytes sent before this turn that the peer has not taken yet: what this
   * turn's cork holds back is not the peer's slowness (a topic subscription
   * measures its subscriber by it).
   */
  get unsent(): number {
    const now = this.#recount();
    // Corked, the socket writes nothing: it holds what it held then, and this turn's frames.
    return this.#corked ? Math.min(now, this.#unsentAtCork) : now;
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** The socket closed: its bytes leave the total, and nothing is watched any more. */
  close(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#total.bytes -= this.#counted;
    this.#counted = 0;
  }

  /** Brings the total up to date with what the socket holds now; ends the pressure once it is all written. */
  #recount(): number {
    const unsent = this.#ws.readyState === this.#ws.OPEN ? this.#ws.bufferedAmount : 0;
    this.#total.bytes += unsent - this.#counted;
    this.#counted = unsent;
    if (unsent === 0 && this.#stallTimer !== undefined) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
      this.#onPressure(false);
    }
    return unsent;
  }

  /** Cuts the socket if, `stallMs` from now, it holds as much unsent as it does now or more. */
  #watchProgress(unsent: number): void {
    this.#stallTimer = setTimeout(() => {
      const now = this.#recount();
      if (this.#stallTimer === undefined) return;
      if (now >= unsent) {
        this.close();
        this.#ws.terminate();
        return;
      }
      this.#watchProgress(now);
    }, this.#limits.stallMs);
    this.#stallTimer.unref();
  }
}

/** Where frames come from: a socket that can stop reading for a while. */
export interface FrameSource {
  pause(): void;
  resume(): void;
}

/** Frames one socket may have handled in one turn of the event loop. */
export const FRAMES_PER_TURN = 64;

/**
 * Hands a socket's frames to `handle`, at most `FRAMES_PER_TURN` in one turn of
 * the event loop. The WebSocket library emits every frame of a network chunk in
 * one go (a 64 KiB chunk of tiny frames is thousands), so a socket that floods
 * could otherwise hold the event loop from every other client ([P-WS-FRAMES]).
 * Past the budget, frames wait here and the socket stops being read; the next
 * turn goes on with them. No promise or timer per frame: one `setImmediate` per
 * turn that had frames.
 */
export class FrameInbox {
  readonly #handle: (data: string | Buffer) => void;
  readonly #source: FrameSource;
  readonly #schedule: (run: () => void) => void;
  /** Frames past the turn's budget, in order; `#next` is the first not yet handled. */
  #waiting: (string | Buffer)[] = [];
  #next = 0;
  #budget = FRAMES_PER_TURN;
  #paused = false;
  #closed = false;

  constructor(
    handle: (data: string | Buffer) => void,
    source: FrameSource,
    schedule: (run: () => void) => void = setImmediate,
  ) {
    this.#handle = handle;
    this.#source = source;
    this.#schedule = schedule;
  }

  push(data: string | Buffer): void {
    if (this.#closed) return;
    if (this.#waiting.length === 0 && this.#budget > 0) {
      this.#spend();
      this.#handle(data);
      return;
    }
    this.#waiting.push(data);
    if (!this.#paused) {
      this.#paused = true;
      this.#source.pause();
    }
  }

  /** The socket closed: frames still waiting are dropped (nothing would answer them). */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
  }

  #spend(): void {
    // The first frame of a turn books the turn's end, which gives the budget back.
    if (this.#budget-- === FRAMES_PER_TURN) this.#schedule(this.#nextTurn);
  }

  readonly #nextTurn = (): void => {
    this.#budget = FRAMES_PER_TURN;
    while (!this.#closed && this.#next < this.#waiting.length && this.#budget > 0) {
      this.#spend();
      this.#handle(this.#waiting[this.#next++] as string | Buffer);
    }
    if (this.#next < this.#waiting.length) return;
    this.#waiting = [];
    this.#next = 0;
    if (this.#paused && !this.#closed) {
      this.#paused = false;
      this.#source.resume();
    }
  };
}

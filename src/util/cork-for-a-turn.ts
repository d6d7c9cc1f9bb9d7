import type { Writable } from 'node:stream';

/**
 * Returns what to call before each write to `stream`: the first call of a
 * turn of the event loop corks it, and it is uncorked once the loop has
 * served what was ready (`setImmediate`), so that what many events write to
 * one stream in that time leaves in one write instead of one system call each.
 * A topic's message to 100 subscribers otherwise spends most of its cost there.
 */
export function corkForATurn(stream: Writable, buffered: () => number): CorkedWrites {
  let corked = false;
  let heldBefore = 0;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  return {
    write() {
      if (corked) return;
      heldBefore = buffered();
      corked = true;
      stream.cork();
      setImmediate(uncork);
    },
    // Corked, the stream writes nothing: it holds what it held then, and this turn's writes.
    unsent: () => (corked ? Math.min(buffered(), heldBefore) : buffered()),
  };
}

/** Writes to a stream corked for a turn, and what of its buffer its reader has not taken. */
export interface CorkedWrites {
  /** Call before each write. */
  write(): void;
  /**
   * What the reader has left unread of earlier turns: what this turn's cork
   * holds back does not count, since no reader has had it yet.
   */
  unsent(): number;
}

import type { Writable } from 'node:stream';

/**
 * Returns what to call before each write to `stream`: the first call of a
 * turn of the event loop corks it, and it is uncorked once the loop has
 * served what was ready (`setImmediate`), so that what many events write to
 * one stream in that time leaves in one write instead of one system call each.
 * A topic's message to 100 subscribers otherwise spends most of its cost there.
 */
export function corkForATurn(stream: Writable): CorkedWrites {
  let corked = false;
  let held = 0;
  const uncork = () => {
    corked = false;
    held = 0;
    stream.uncork();
  };
  return {
    write(bytes) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      held += bytes;
    },
    unsent(buffered) {
      return Math.max(0, buffered - held);
    },
  };
}

/** Writes to a stream corked for a turn, and what of its buffer its reader has not taken. */
export interface CorkedWrites {
  /** Call before writing `bytes` (about: a frame's header may add a few). */
  write(bytes: number): void;
  /**
   * What the reader has left unread of `buffered` (the stream's own count):
   * the bytes held back this turn do not count, since no reader has had them yet.
   */
  unsent(buffered: number): number;
}

import cluster from 'node:cluster';

/** The message the primary of `serve --processes` sends a replica to begin its graceful shutdown. */
export const STOP_MESSAGE = 'switchboard:stop';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface StopSignals {
  /** The first SIGINT or SIGTERM. */
  readonly first: Promise<StopSignal>;
  /** Either signal after the first: the user insists. */
  readonly again: Promise<StopSignal>;
}

/**
 * Listens for SIGINT and SIGTERM for the rest of the process's life.
 *
 * One listener stays installed from the start, because Node restores a
 * signal's default action (death) whenever its last listener goes: with
 * `process.once` per stage, a second Ctrl-C landing between the first
 * listener's removal and the next one's install killed the process instead
 * of reaching the code that ends the jobs in hand.
 */
export function watchStopSignals(): StopSignals {
  let seen = 0;
  let onFirst!: (signal: StopSignal) => void;
  let onAgain!: (signal: StopSignal) => void;
  const first = new Promise<StopSignal>((resolve) => (onFirst = resolve));
  const again = new Promise<StopSignal>((resolve) => (onAgain = resolve));
  const listener = (signal: StopSignal) => {
    seen += 1;
    if (seen === 1) onFirst(signal);
    else onAgain(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  // A replica of `serve --processes` is told to stop by its primary: a first
  // stop only, as it may come after the terminal's own SIGINT.
  if (cluster.isWorker) {
    process.on('message', (message) => {
      if (message === STOP_MESSAGE && seen === 0) listener('SIGTERM');
    });
  }
  return { first, again };
}

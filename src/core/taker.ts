import type { Taker } from '../store/job-store.js';
import type { TakeInput } from './hub-types.js';

/** Who takes, as the store hears it: the worker, until when it parks, whether a socket holds the job. */
export function takerOf(input: TakeInput, parkedUntil?: number): Taker {
  return { workerId: input.workerId, parkedUntil, heldBySocket: input.fromSocket === true };
}

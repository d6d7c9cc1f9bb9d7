import { createHook } from 'node:async_hooks';

/**
 * Timers alive in this process, unref'd ones included: Node 20's
 * `getActiveResourcesInfo()` leaves those out, and the lease timer is one.
 * Counted from creation to clearing or firing (async_hooks' Timeout resources).
 */
const live = new Set<number>();
createHook({
  init(id, type) {
    if (type === 'Timeout') live.add(id);
  },
  destroy(id) {
    live.delete(id);
  },
}).enable();

/** The count, once the destroy hooks of timers cleared or fired so far have run (Node runs them a turn later). */
export async function liveTimers(): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  return live.size;
}

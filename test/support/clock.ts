import type { TestContext } from 'node:test';

/**
 * Puts the test on a clock of its own: `setTimeout` and `Date` are mocked (they
 * are restored when the test ends), and the returned function moves time on, firing
 * the timers that fall due. Lease, TTL and heartbeat tests use it instead of
 * sleeping against short leases, which a busy machine turns into flakes.
 */
export function mockClock(t: TestContext): (ms: number) => void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  return (ms) => t.mock.timers.tick(ms);
}

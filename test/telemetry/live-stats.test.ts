import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveStats } from '../../src/telemetry/live-stats.js';
import { answeredCall as ended } from '../support/call-end.js';

test('[P-DASHBOARD] the last minute: calls per second, p50 and p99 within a latency class, one count a second', () => {
  let now = 1_000_000;
  const stats = new LiveStats({ maxServices: 10, now: () => now });
  for (let i = 0; i < 98; i++) stats.callEnded(ended('a', 10));
  stats.callEnded(ended('a', 400));
  stats.callEnded(ended('a', 400));
  now += 1000;
  for (let i = 0; i < 20; i++) stats.callEnded(ended('a', 10));
  const [a] = stats.lastMinute();
  assert.equal(a?.service, 'a');
  assert.equal(a?.callsPerSecond, 120 / 60);
  assert.deepEqual(a?.perSecond.slice(-2), [100, 20]);
  assert.equal(a?.perSecond.length, 60);
  // Classes are about 1.5x apart: a percentile is the bound of its class.
  assert.ok(a?.p50Ms !== undefined && a.p50Ms >= 10 && a.p50Ms < 15, String(a?.p50Ms));
  assert.ok(a?.p99Ms !== undefined && a.p99Ms >= 400 && a.p99Ms < 600, String(a?.p99Ms));
});

test('[P-DASHBOARD] a minute later the old seconds are gone; a service with no calls has no percentiles', () => {
  let now = 5_000_000;
  const stats = new LiveStats({ maxServices: 10, now: () => now });
  stats.callEnded(ended('b', 3));
  now += 60_000;
  const [b] = stats.lastMinute();
  assert.equal(b?.callsPerSecond, 0);
  assert.equal(b?.p50Ms, undefined);
  // The slot of that second, reused a minute on, starts afresh.
  stats.callEnded(ended('b', 3));
  assert.deepEqual(stats.lastMinute()[0]?.perSecond.at(-1), 1);
});

test('[P-DASHBOARD] services past the limit share "other", as the metrics labels do', () => {
  const stats = new LiveStats({ maxServices: 1, now: () => 0 });
  for (const service of ['a', 'b', 'c']) stats.callEnded(ended(service, 1));
  assert.deepEqual(
    stats.lastMinute().map((s) => [s.service, s.perSecond.at(-1)]),
    [
      ['a', 1],
      ['other', 2],
    ],
  );
});

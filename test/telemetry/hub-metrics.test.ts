/**
 * HubMetrics' hot path defers its work to the scrape ([P-METRICS]): calls are
 * counted in a map and latencies wait in a buffer, handed to prom-client at each
 * scrape or when the buffer fills. Nothing may be lost or counted twice on the way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hub } from '../../src/core/hub.js';
import { DEFERRED_OBSERVATIONS, HubMetrics } from '../../src/telemetry/hub-metrics.js';
import { answeredCall as ended } from '../support/call-end.js';

const NO_WEBHOOKS = { registered: 0, deadLetters: 0 };
const idleHub = {
  status: async () => ({ services: [], webhooks: NO_WEBHOOKS }),
  services: async () => [],
};

/** One series' value in the exposition. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no ${series} in the exposition`);
  return Number(line.split(' ').at(-1));
}

test('[P-METRICS] observations past the buffer, and across scrapes, are each counted once', async () => {
  const metrics = new HubMetrics(idleHub as unknown as Hub, { maxServices: 10 });
  // More than two buffers' worth, so the buffer fills and empties on the hot path.
  const first = DEFERRED_OBSERVATIONS * 2 + 5;
  for (let i = 0; i < first; i++) {
    metrics.callEnded(ended('add', 2));
    metrics.jobTaken('add', 1);
  }
  let text = (await metrics.text()).body;
  assert.equal(
    sample(text, 'switchboard_calls_total{service="add",outcome="answered",code=""}'),
    first,
  );
  assert.equal(sample(text, 'switchboard_call_duration_seconds_count{service="add"}'), first);
  assert.equal(
    sample(text, 'switchboard_call_duration_seconds_bucket{le="0.0025",service="add"}'),
    first,
  );
  assert.equal(
    sample(text, 'switchboard_call_duration_seconds_bucket{le="0.001",service="add"}'),
    0,
  );
  assert.ok(
    Math.abs(sample(text, 'switchboard_call_duration_seconds_sum{service="add"}') - first * 0.002) <
      1e-9,
  );
  assert.equal(sample(text, 'switchboard_queue_wait_seconds_count{service="add"}'), first);

  // A second scrape with a few more: cumulative, nothing replayed.
  for (let i = 0; i < 3; i++) metrics.callEnded(ended('add', 20));
  text = (await metrics.text()).body;
  assert.equal(
    sample(text, 'switchboard_calls_total{service="add",outcome="answered",code=""}'),
    first + 3,
  );
  assert.equal(sample(text, 'switchboard_call_duration_seconds_count{service="add"}'), first + 3);
  assert.equal(
    sample(text, 'switchboard_call_duration_seconds_bucket{le="0.025",service="add"}'),
    first + 3,
  );
  assert.equal(sample(text, 'switchboard_queue_wait_seconds_count{service="add"}'), first);
  text = (await metrics.text()).body;
  assert.equal(sample(text, 'switchboard_call_duration_seconds_count{service="add"}'), first + 3);
});

// Issue 26, item 18: 20 concurrent scrapes each rendered the whole exposition and
// read the hub's status once per gauge.
test('[P-METRICS] scrapes at once share one rendering, and one read of the hub', async () => {
  let reads = 0;
  const hub = {
    status: async () => {
      reads++;
      return { services: [], webhooks: NO_WEBHOOKS };
    },
    services: async () => [],
  };
  const metrics = new HubMetrics(hub as unknown as Hub, { maxServices: 10 });
  metrics.callEnded(ended('add', 2));
  const texts = await Promise.all(Array.from({ length: 20 }, () => metrics.text()));
  assert.equal(reads, 1);
  assert.equal(new Set(texts.map((t) => t.body)).size, 1);
  // A later scrape reads afresh.
  await metrics.text();
  assert.equal(reads, 2);
});

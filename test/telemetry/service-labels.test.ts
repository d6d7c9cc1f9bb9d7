import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LABEL_IDLE_MS, OTHER_SERVICE, ServiceLabels } from '../../src/telemetry/service-labels.js';

// Issue 26, item 12: 100 calls to made-up names, each refused no_workers, took all
// 100 labels for good.
test('[P-METRICS] ServiceLabels - a service shares "other" until it earns a label; made-up names never do', () => {
  const labels = new ServiceLabels(2, () => 0);
  for (let i = 0; i < 100; i++) assert.equal(labels.of(`typo-${i}`).service, OTHER_SERVICE);
  labels.earn('add');
  assert.equal(labels.of('add').service, 'add');
  assert.equal(labels.of('add'), labels.of('add'), 'one label object per service');
});

test('[P-METRICS] ServiceLabels - when every label is taken, a newly earned one replaces the one idle longest, and only an idle one', () => {
  let now = 0;
  const forgotten: string[] = [];
  const labels = new ServiceLabels(2, () => now);
  labels.forget = (label) => forgotten.push(label.service);
  labels.earn('a');
  labels.earn('b');
  now = LABEL_IDLE_MS / 2;
  labels.of('b');
  labels.earn('c');
  assert.equal(labels.of('c').service, OTHER_SERVICE, 'nothing idle long enough yet');
  now = LABEL_IDLE_MS + 1;
  labels.earn('c');
  assert.deepEqual(forgotten, ['a']);
  assert.equal(labels.of('c').service, 'c');
  assert.equal(labels.of('a').service, OTHER_SERVICE);
  assert.equal(labels.of('b').service, 'b');
});

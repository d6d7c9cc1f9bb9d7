import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerTable } from '../../src/store/worker-table.js';

test('[P-SERVICES] WorkerTable - keeps at most HUB_MAX_WORKERS_PER_SERVICE workers, forgetting the longest unseen first', () => {
  const table = new WorkerTable(60_000, 120);
  for (let i = 0; i < 150; i++) table.see(`w-${i}`, 1000 + i);
  const ids = table.list(2000).map((w) => w.id);
  assert.equal(ids.length, 120);
  assert.equal(ids[0], 'w-30');
  assert.equal(ids.at(-1), 'w-149');
  assert.equal(table.lastSeenAt, 1149);
});

test('[P-SERVICES] WorkerTable - forgets workers not seen within the window, unless they hold a job', () => {
  const table = new WorkerTable(100, 100);
  table.see('idle', 0);
  table.see('busy', 0).inFlight = 1;
  table.see('recent', 150);
  assert.deepEqual(
    table.list(200).map((w) => w.id),
    ['busy', 'recent'],
  );
});

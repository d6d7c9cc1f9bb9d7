import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FinishedJobs } from '../../src/store/finished-jobs.js';

test('FinishedJobs - forgets an id once its time to live has passed', () => {
  let now = 1000;
  const finished = new FinishedJobs({ ttlMs: 100, maxEntries: 10, now: () => now });
  finished.add('a', 'answered');
  now += 99;
  assert.equal(finished.get('a'), 'answered');
  now += 1;
  assert.equal(finished.get('a'), undefined);
});

test('[P-MEMORY] FinishedJobs - never holds more than maxEntries, dropping the oldest', () => {
  const finished = new FinishedJobs({ ttlMs: 60_000, maxEntries: 3 });
  for (const id of ['a', 'b', 'c', 'd', 'e']) finished.add(id, 'caller_gone');
  assert.equal(finished.size, 3);
  assert.equal(finished.get('b'), undefined);
  assert.equal(finished.get('e'), 'caller_gone');
});

test('[P-MEMORY] FinishedJobs - drops expired entries as new ones arrive, with no timer', () => {
  let now = 0;
  const clocked = new FinishedJobs({ ttlMs: 10, maxEntries: 1000, now: () => now });
  for (let i = 0; i < 100; i++) clocked.add(`old-${i}`, 'answered');
  now = 50;
  clocked.add('new', 'answered');
  assert.equal(clocked.size, 1);
});

test('FinishedJobs - with maxEntries 0 remembers nothing', () => {
  const finished = new FinishedJobs({ ttlMs: 1000, maxEntries: 0 });
  finished.add('a', 'answered');
  assert.equal(finished.get('a'), undefined);
});

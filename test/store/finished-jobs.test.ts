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

test('[P-MEMORY] FinishedJobs - never holds more than maxEntries, dropping the oldest first', () => {
  for (const maxEntries of [1, 2, 3, 10]) {
    const finished = new FinishedJobs({ ttlMs: 60_000, maxEntries });
    const ids = Array.from({ length: 25 }, (_, i) => `id-${i}`);
    for (const id of ids) {
      finished.add(id, 'caller_gone');
      assert.ok(finished.size <= maxEntries, `${finished.size} held with maxEntries ${maxEntries}`);
    }
    assert.equal(finished.get('id-24'), 'caller_gone', 'the newest is kept');
    assert.equal(finished.get('id-0'), undefined, 'the oldest is dropped');
  }
});

test('[P-MEMORY] FinishedJobs - keeps at least half of maxEntries, newest first', () => {
  const finished = new FinishedJobs({ ttlMs: 60_000, maxEntries: 10 });
  for (let i = 0; i < 100; i++) finished.add(`id-${i}`, 'answered');
  for (let i = 95; i < 100; i++) assert.equal(finished.get(`id-${i}`), 'answered');
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

test('FinishedJobs - keeps each state and its exact time to live in both generations', () => {
  let now = 5000;
  const finished = new FinishedJobs({ ttlMs: 100, maxEntries: 4, now: () => now });
  finished.add('answered', 'answered');
  now += 30;
  finished.add('gone', 'caller_gone');
  now += 30;
  // The generation holds two: these start the next, and the first two become the previous.
  finished.add('lost', 'lease_lost');
  finished.add('fresh', 'answered');
  assert.deepEqual(
    ['answered', 'gone', 'lost', 'fresh'].map((id) => finished.get(id)),
    ['answered', 'caller_gone', 'lease_lost', 'answered'],
  );
  now = 5099;
  assert.equal(finished.get('answered'), 'answered', 'still within its 100 ms');
  now = 5100;
  assert.equal(finished.get('answered'), undefined, 'expired at exactly 100 ms');
  assert.equal(finished.get('gone'), 'caller_gone');
  now = 5130;
  assert.equal(finished.get('gone'), undefined);
  assert.equal(finished.get('lost'), 'lease_lost');
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JobSignal } from '../../src/sdk/job-signal.js';
import { mockClock } from '../support/clock.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('JobSignal: a job signal made only when read', () => {
  test('a signal never read costs no timer', () => {
    const before = timers();
    const job = new JobSignal(60_000, new AbortController().signal);
    assert.equal(timers(), before);
    job.abort();
    job.dispose();
    assert.equal(timers(), before);
  });

  test('read, it aborts at the deadline; dispose() ends its timer', async () => {
    const before = timers();
    const job = new JobSignal(20, new AbortController().signal);
    const { signal } = job;
    assert.equal(signal.aborted, false);
    assert.equal(timers(), before + 1);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    job.dispose();
    assert.equal(timers(), before);

    const early = new JobSignal(60_000, new AbortController().signal);
    early.signal;
    early.dispose();
    assert.equal(timers(), before, 'a job that ends first leaves no timer behind');
  });

  test('read late, it is already aborted if its reason came first: abort, grace over or deadline', (t) => {
    const lost = new JobSignal(60_000, new AbortController().signal);
    lost.abort();
    assert.equal(lost.signal.aborted, true);

    const grace = new AbortController();
    const late = new JobSignal(60_000, grace.signal);
    grace.abort();
    assert.equal(late.signal.aborted, true);

    const tick = mockClock(t);
    const past = new JobSignal(1, new AbortController().signal);
    tick(2);
    assert.equal(past.signal.aborted, true);
  });

  test('read early, it aborts when the grace period ends or when told', () => {
    const grace = new AbortController();
    const job = new JobSignal(60_000, grace.signal);
    const { signal } = job;
    grace.abort();
    assert.equal(signal.aborted, true);
    job.dispose();

    const told = new JobSignal(60_000, new AbortController().signal);
    const toldSignal = told.signal;
    told.abort();
    assert.equal(toldSignal.aborted, true);
    told.dispose();
  });
});

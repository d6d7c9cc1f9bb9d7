import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Leases } from '../../src/store/leases.js';
import { mockClock } from '../support/clock.js';

test('[P-LEASE] Leases - expire in the order granted; a renewal moves a lease to the back', (t) => {
  const tick = mockClock(t);
  const expired: string[] = [];
  const leases = new Leases<string>(30, (value) => expired.push(value));
  const a = leases.grant('a');
  leases.grant('b');
  tick(15);
  leases.renew(a);
  leases.grant('c');
  const ended = leases.grant('d');
  leases.end(ended);
  tick(15);
  assert.deepEqual(expired, ['b'], 'b is due at 30; a, renewed at 15, at 45');
  tick(15);
  assert.deepEqual(expired, ['b', 'a', 'c']);
  assert.equal(leases.size, 0);
  leases.close();
});

test('Leases - nothing expires a moment before its lease ends', (t) => {
  const tick = mockClock(t);
  const expired: string[] = [];
  const leases = new Leases<string>(30, (value) => expired.push(value));
  leases.grant('a');
  tick(29);
  assert.deepEqual(expired, []);
  tick(1);
  assert.deepEqual(expired, ['a']);
  leases.close();
});

test('Leases - close() stops expiry', (t) => {
  const tick = mockClock(t);
  const expired: string[] = [];
  const leases = new Leases<string>(10, (value) => expired.push(value));
  leases.grant('a');
  leases.close();
  tick(30);
  assert.deepEqual(expired, []);
});

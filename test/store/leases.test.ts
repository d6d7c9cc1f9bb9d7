import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Leases } from '../../src/store/leases.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('[P-LEASE] Leases - expire in the order granted; a renewal moves a lease to the back', () => {
  const time = clock();
  const leases = new Leases<string>(30, time.now);
  const a = leases.grant('a');
  leases.grant('b');
  time.advance(15);
  leases.renew(a);
  leases.grant('c');
  const ended = leases.grant('d');
  leases.end(ended);
  assert.deepEqual(
    leases.expired(time.advance(15)),
    ['b'],
    'b is due at 30; a, renewed at 15, at 45',
  );
  assert.deepEqual(leases.expired(time.advance(15)), ['a', 'c']);
  assert.equal(leases.size, 0);
});

test('Leases - nothing expires a moment before its lease ends; nextEnd says when the first does', () => {
  const time = clock();
  const leases = new Leases<string>(30, time.now);
  assert.equal(leases.nextEnd, undefined, 'none held');
  leases.grant('a');
  assert.equal(leases.nextEnd, 1_000_030);
  assert.deepEqual(leases.expired(time.advance(29)), []);
  assert.deepEqual(leases.expired(time.advance(1)), ['a']);
  assert.equal(leases.nextEnd, undefined);
});

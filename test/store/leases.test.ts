import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Leases } from '../../src/store/leases.js';

test('[P-LEASE] Leases - expire in the order granted; a renewal moves a lease to the back', async () => {
  const expired: string[] = [];
  const leases = new Leases<string>(30, (value) => expired.push(value));
  const a = leases.grant('a');
  leases.grant('b');
  await sleep(15);
  leases.renew(a);
  leases.grant('c');
  const ended = leases.grant('d');
  leases.end(ended);
  await sleep(60);
  assert.deepEqual(expired, ['b', 'a', 'c']);
  assert.equal(leases.size, 0);
  leases.close();
});

test('Leases - close() stops expiry', async () => {
  const expired: string[] = [];
  const leases = new Leases<string>(10, (value) => expired.push(value));
  leases.grant('a');
  leases.close();
  await sleep(30);
  assert.deepEqual(expired, []);
});

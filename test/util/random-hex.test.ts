import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex128 } from '../../src/util/random-hex.js';

test('randomHex128 - 32 lower-case hex digits, never the same twice, across refills of its pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = randomHex128();
    assert.match(id, /^[0-9a-f]{32}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
});

test('randomHex128 - every digit is used: the bits are random, not a counter', () => {
  const digits = new Set(Array.from({ length: 64 }, () => randomHex128()).join(''));
  assert.equal(digits.size, 16);
});

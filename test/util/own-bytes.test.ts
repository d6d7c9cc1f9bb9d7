import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownBytes } from '../../src/util/own-bytes.js';

test('ownBytes - a chunk whose buffer is exactly its bytes is kept as it is, not copied', () => {
  const chunk = Buffer.from('{"first":1}');
  const whole = Buffer.from(
    chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength),
  );
  assert.equal(ownBytes([whole]), whole);
});

test('[P-LIMITS] ownBytes - a view into a larger buffer is copied: a job holds its body’s bytes, as HUB_MAX_QUEUED_BYTES counts them, and no more', () => {
  const shared = Buffer.alloc(8192, 7);
  const view = shared.subarray(100, 110);
  const own = ownBytes([view]);
  assert.notEqual(own.buffer, shared.buffer);
  assert.equal(own.buffer.byteLength, 10);
  assert.deepEqual([...own], [...view]);
});

test('[P-LIMITS] ownBytes - several chunks become one buffer of exactly their bytes', () => {
  const own = ownBytes([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e')]);
  assert.equal(own.toString(), 'abcde');
  assert.equal(own.buffer.byteLength, 5);
  assert.equal(ownBytes([]).byteLength, 0);
});

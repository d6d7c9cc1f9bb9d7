import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cancel, linkAbort } from '../../src/domain/cancel.js';

test('Cancel - runs each listener once, in order; removed ones and ones added after the abort never run', () => {
  const cancel = new Cancel();
  const ran: string[] = [];
  const removed = () => ran.push('removed');
  cancel.addEventListener('abort', () => ran.push('a'));
  cancel.addEventListener('abort', removed);
  cancel.addEventListener('abort', () => ran.push('b'));
  cancel.removeEventListener('abort', removed);
  assert.equal(cancel.aborted, false);
  cancel.abort();
  cancel.abort();
  cancel.addEventListener('abort', () => ran.push('late'));
  assert.equal(cancel.aborted, true);
  assert.deepEqual(ran, ['a', 'b']);
});

test('linkAbort - aborts the child with the parent, and not once unlinked', () => {
  const parent = new Cancel();
  const linked = new Cancel();
  const unlinked = new Cancel();
  linkAbort(parent, linked, () => 'gone');
  linkAbort(parent, unlinked, () => 'gone')();
  parent.abort();
  assert.deepEqual([linked.aborted, unlinked.aborted], [true, false]);
  const late = new Cancel();
  linkAbort(parent, late, () => 'gone');
  assert.equal(late.aborted, true, 'a child linked to an aborted parent aborts at once');
});

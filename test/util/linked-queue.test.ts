import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkedQueue } from '../../src/util/linked-queue.js';

test('LinkedQueue - shifts in push order and unshift puts a value first', () => {
  const queue = new LinkedQueue<number>();
  queue.push(2);
  queue.push(3);
  queue.unshift(1);
  assert.deepEqual([...queue], [1, 2, 3]);
  assert.deepEqual(
    [queue.shift(), queue.shift(), queue.shift(), queue.shift()],
    [1, 2, 3, undefined],
  );
  assert.equal(queue.size, 0);
});

test('LinkedQueue - removes head, middle and tail by node, and a second removal is harmless', () => {
  const queue = new LinkedQueue<string>();
  const nodes = ['a', 'b', 'c', 'd'].map((v) => queue.push(v));
  const [a, b, , d] = nodes;
  assert.ok(a && b && d);
  queue.remove(b);
  queue.remove(b);
  queue.remove(a);
  queue.remove(d);
  assert.deepEqual([...queue], ['c']);
  assert.equal(queue.size, 1);
  queue.push('e');
  assert.deepEqual([...queue], ['c', 'e']);
});

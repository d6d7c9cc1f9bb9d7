import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAMES_PER_TURN, FrameInbox } from '../../src/ws/frame-inbox.js';

/** An inbox whose turns run only when the test says, with the frames it handled and its source's state. */
function harness() {
  const handled: string[] = [];
  const turns: (() => void)[] = [];
  const source = {
    paused: false,
    pause() {
      source.paused = true;
    },
    resume() {
      source.paused = false;
    },
  };
  const inbox = new FrameInbox(
    (data) => handled.push(String(data)),
    source,
    (run) => turns.push(run),
  );
  const nextTurn = () => {
    const run = turns.shift();
    assert.ok(run, 'a turn was booked');
    run();
  };
  return { inbox, handled, source, turns, nextTurn };
}

test('[P-WS-FRAMES] FrameInbox - handles at most FRAMES_PER_TURN frames in one turn, in order, and stops reading the socket meanwhile', () => {
  const { inbox, handled, source, nextTurn } = harness();
  const burst = Array.from({ length: FRAMES_PER_TURN * 2 + 5 }, (_, i) => String(i));
  for (const frame of burst) inbox.push(frame);
  assert.equal(handled.length, FRAMES_PER_TURN);
  assert.equal(source.paused, true);
  nextTurn();
  assert.equal(handled.length, FRAMES_PER_TURN * 2);
  assert.equal(source.paused, true);
  nextTurn();
  assert.deepEqual(handled, burst);
  assert.equal(source.paused, false, 'reading resumes once every waiting frame is handled');
});

test('FrameInbox - a quiet socket handles each frame at once and books one turn, whatever the number of frames below the budget', () => {
  const { inbox, handled, source, turns } = harness();
  inbox.push('a');
  inbox.push('b');
  assert.deepEqual(handled, ['a', 'b']);
  assert.equal(turns.length, 1);
  assert.equal(source.paused, false);
});

test('FrameInbox - after close, waiting and new frames are dropped', () => {
  const { inbox, handled, nextTurn } = harness();
  for (let i = 0; i < FRAMES_PER_TURN + 3; i++) inbox.push(String(i));
  inbox.close();
  inbox.push('late');
  nextTurn();
  assert.equal(handled.length, FRAMES_PER_TURN);
});

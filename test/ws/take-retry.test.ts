/**
 * Issue 26, item 7: a socket whose takes the hub refuses backs off, says so once,
 * and is closed (1013) when the refusal lasts, rather than retrying every 100 ms
 * with an error frame each time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode } from '../../src/protocol.js';
import { WorkerSession } from '../../src/ws/worker-session.js';
import { jsonPayload, testHub } from '../support/config.js';
import { until } from '../support/http.js';

function sink() {
  const frames: Record<string, unknown>[] = [];
  const closes: number[] = [];
  return {
    frames,
    closes,
    send: (frame: string | Buffer) => void frames.push(JSON.parse(String(frame))),
    close: (code: number) => void closes.push(code),
  };
}

test('[P-WS-TAKES] a refused take says so in one error frame naming the service, then retries ever later, and ends the socket when the refusal lasts', async () => {
  // One service may be tracked, and it is busy: any second service is refused.
  const hub = testHub({ maxServices: 1 });
  const busy = hub
    .call({ service: 'busy', payload: jsonPayload({}), queueWithoutWorkers: true, timeoutMs: 5000 })
    .catch(() => {});
  const peer = sink();
  const session = new WorkerSession(hub, peer, {
    maxCredit: 4,
    maxBodyBytes: 1024,
    takeRetry: { firstMs: 5, maxMs: 40, giveUpMs: 150 },
  });
  session.serve(
    { type: 'serve', services: ['other'], credit: 1, worker: undefined, base64: false },
    undefined,
  );
  await until(() => peer.closes.length > 0, { what: 'the socket to be closed', timeoutMs: 5000 });
  assert.deepEqual(peer.closes, [CloseCode.TryAgainLater]);
  const errors = peer.frames.filter((f) => f.type === 'error');
  assert.equal(errors.length, 1, 'one error frame for the whole refusal');
  assert.equal(errors[0]?.code, 'too_many_services');
  assert.equal(errors[0]?.service, 'other');
  await session.close();
  await hub.close();
  await busy;
});

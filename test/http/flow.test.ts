import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { CHANNELS, type RequestTarget } from '../support/channels.js';
import { tick } from '../support/config.js';

type App = Pick<RequestTarget, 'request'>;

/** Calls `add` with `headers`, answers as a worker, and returns the job and the caller's response. */
async function callAndAnswer(app: App, headers: Record<string, string>) {
  const response = app.request('/service/add', { method: 'POST', body: '{}', headers });
  const job = (await (await app.request('/service/add/jobs')).json()) as WireJob;
  await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'ok' });
  return { job, response: await response };
}

for (const channel of CHANNELS)
  describe(`[P-FLOW] flow ids (${channel.name})`, () => {
    test('[P-FLOW] a traceparent gives the call its flow id: on the job, and back on the response', async (t) => {
      const app = await channel.open(t);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
      const { job, response } = await callAndAnswer(app, { traceparent, 'hub-flow-id': 'ignored' });
      assert.equal(job.flowId, traceId);
      assert.equal(job.headers.traceparent, traceparent, 'the header itself travels on too');
      assert.equal(response.headers.get('hub-flow-id'), traceId);
    });

    test('[P-FLOW] without a traceparent, Hub-Flow-Id is the flow id; without either, or with a malformed one, the hub makes one', async (t) => {
      const app = await channel.open(t);
      const given = await callAndAnswer(app, { 'hub-flow-id': 'order-7731' });
      assert.equal(given.job.flowId, 'order-7731');
      assert.equal(given.response.headers.get('hub-flow-id'), 'order-7731');
      for (const headers of [
        {},
        { 'hub-flow-id': 'x'.repeat(129) },
        { traceparent: '00-zz-bad' },
      ]) {
        const made = await callAndAnswer(app, headers);
        assert.match(made.job.flowId, /^[0-9a-f]{32}$/);
        assert.equal(made.response.headers.get('hub-flow-id'), made.job.flowId);
      }
      const first = await callAndAnswer(app, {});
      const second = await callAndAnswer(app, {});
      assert.notEqual(first.job.flowId, second.job.flowId);
    });

    test('[P-FLOW] a call that ends in a hub error still tells its flow id', async (t) => {
      const app = await channel.open(t);
      const response = app.request('/service/slow', {
        method: 'POST',
        body: '{}',
        headers: { 'hub-flow-id': 'f-1', 'hub-timeout': '20' },
      });
      await tick();
      const timedOut = await response;
      assert.equal(timedOut.status, 504);
      assert.equal(timedOut.headers.get('hub-flow-id'), 'f-1');
    });
  });

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HubStatus } from '../../src/protocol.js';
import { CHANNELS, type RequestTarget } from '../support/channels.js';
import { until } from '../support/http.js';

/** `GET /status` through the channel itself. */
async function statusOf(app: RequestTarget): Promise<HubStatus> {
  return (await (await app.request('/status')).json()) as HubStatus;
}

for (const channel of CHANNELS)
  describe(`/status and the probes (${channel.name})`, () => {
    test('[P-STATUS] GET /status reports each service and the totals', async (t) => {
      const app = await channel.open(t);
      const answered = app.request('/service/a', { method: 'POST', body: '1' });
      const job = (await (await app.request('/service/a/jobs')).json()) as { id: string };
      await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'ok' });
      await answered;
      const queued = app.request('/service/a', {
        method: 'POST',
        body: '2',
        headers: { 'hub-timeout': '1000' },
      });
      const timedOut = app.request('/service/b', {
        method: 'POST',
        body: '3',
        headers: { 'hub-timeout': '1' },
      });
      assert.equal((await timedOut).status, 504);
      const poll = app.request('/service/c/jobs?timeout=1000');
      await until(
        async () => {
          const { parkedCalls, parkedPolls } = await statusOf(app);
          return parkedCalls === 1 && parkedPolls === 1;
        },
        { what: 'the call and the poll parked' },
      );

      const status = await statusOf(app);
      const a = status.services.find((s) => s.service === 'a');
      const b = status.services.find((s) => s.service === 'b');
      const c = status.services.find((s) => s.service === 'c');
      assert.deepEqual(
        { calls: a?.calls, answered: a?.answered, queued: a?.queued, inFlight: a?.inFlight },
        { calls: 2, answered: 1, queued: 1, inFlight: 0 },
      );
      assert.equal(b?.timedOut, 1);
      assert.equal(c?.waitingWorkers, 1);
      assert.deepEqual(
        {
          calls: status.total.calls,
          answered: status.total.answered,
          timedOut: status.total.timedOut,
        },
        { calls: 3, answered: 1, timedOut: 1 },
      );
      assert.equal(status.parkedCalls, 1);
      assert.equal(status.parkedPolls, 1);
      assert.equal((await queued).status, 504);
      assert.equal((await poll).status, 204);
    });

    test('[P-STATUS] parkedCalls counts what hub_full counts: the job the hub waits on and each caller sharing it (issue 13)', async (t) => {
      const app = await channel.open(t);
      const { hub } = app;
      const call = () =>
        app.request('/service/a', {
          method: 'POST',
          body: '1',
          headers: { 'idempotency-key': 'k1', 'hub-timeout': '2000' },
        });
      const first = call();
      const second = call();
      await until(async () => (await statusOf(app)).parkedCalls === 3, {
        what: 'both callers parked on the one job',
      });

      const status = await statusOf(app);
      assert.equal(status.services.find((s) => s.service === 'a')?.queued, 1, 'one job for both');
      // The keyed job's own wait, and the two callers waiting on it.
      assert.equal(status.parkedCalls, 3);
      assert.equal(hub.parked.calls, 3);
      const job = (await (await app.request('/service/a/jobs')).json()) as { id: string };
      await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'ok' });
      assert.deepEqual([(await first).status, (await second).status], [200, 200]);
    });

    test('[P-HEALTH] /healthz is always 200; /readyz turns 503 shutting_down once shutdown begins', async (t) => {
      const app = await channel.open(t);
      const { hub } = app;
      assert.equal((await app.request('/healthz')).status, 200);
      assert.equal((await app.request('/readyz')).status, 200);
      await hub.close();
      assert.equal((await app.request('/healthz')).status, 200);
      const ready = await app.request('/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.headers.get('hub-error'), 'shutting_down');
      const call = await app.request('/service/a', { method: 'POST', body: '1' });
      assert.equal(call.status, 503);
      assert.equal(call.headers.get('hub-error'), 'shutting_down');
      const poll = await app.request('/service/a/jobs');
      assert.equal(
        poll.status,
        503,
        'a new poll is refused, so workers back off instead of spinning',
      );
      assert.equal(poll.headers.get('hub-error'), 'shutting_down');
    });
  });

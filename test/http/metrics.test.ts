/**
 * `GET /metrics` ([P-METRICS], docs/metrics.md): what Prometheus scrapes, with
 * every outcome counted, the gauges read off the hub, bounded labels, and auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';

/** The value of one series in an exposition, or undefined when it is absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split('} ')[0] ?? '';
    if (wanted.every((pair) => labelText.includes(pair))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

const post = (server: RunningServer, service: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/service/${service}`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json', ...headers },
  });

/** Takes the next job of `service` with a plain poll, and answers it with `status`, or fails it. */
async function serveOne(server: RunningServer, service: string, answer: number | 'fail') {
  const poll = await fetch(`${server.url}/service/${service}/jobs?timeout=2000`);
  const { id } = (await poll.json()) as { id: string };
  if (answer === 'fail') {
    await fetch(`${server.url}/jobs/${id}/fail`, {
      method: 'POST',
      body: '{"message":"no","retry":false}',
      headers: { 'content-type': 'application/json' },
    });
  } else {
    await fetch(`${server.url}/jobs/${id}`, {
      method: 'POST',
      headers: { 'hub-status': String(answer) },
      body: '1',
    });
  }
}

describe('[P-METRICS] GET /metrics', () => {
  let server: RunningServer;
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
  before(async () => {
    server = await startServer(testConfig({ metricsMaxServices: 3, maxQueuedPerService: 1 }));
  });
  after(() => server.close());

  test('[P-METRICS] every outcome of a call is counted, with its code when refused; latency and queue wait are histograms', async () => {
    const queue = { 'hub-no-workers': 'queue' };
    const answered = post(server, 'm', queue);
    await serveOne(server, 'm', 200);
    const workerError = post(server, 'm', queue);
    await serveOne(server, 'm', 503);
    const failed = post(server, 'm', queue);
    await serveOne(server, 'm', 'fail');
    assert.deepEqual(
      [(await answered).status, (await workerError).status, (await failed).status],
      [200, 503, 502],
    );
    assert.equal((await post(server, 'm', { ...queue, 'hub-timeout': '30' })).status, 504);
    const queueTimedOut = await post(server, 'm', { ...queue, 'hub-queue-timeout': '20' });
    assert.equal(queueTimedOut.status, 504);
    // One job queued fills this service's queue (maxQueuedPerService 1): the next is refused.
    const controller = new AbortController();
    const parked = fetch(`${server.url}/service/m`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', ...queue },
      signal: controller.signal,
    }).catch(() => undefined);
    await until(async () => (await server.hub.status()).total.queued === 1, {
      what: 'a queued job',
    });
    assert.equal((await post(server, 'm', queue)).status, 503);

    const text = await scrape();
    // Gauges are read at the scrape: the job still queued, and its age.
    assert.equal(sample(text, 'switchboard_queued_jobs', { service: 'm' }), 1);
    assert.ok((sample(text, 'switchboard_oldest_queued_seconds', { service: 'm' }) ?? -1) >= 0);
    controller.abort();
    await parked;
    await until(
      async () => sample(await scrape(), 'switchboard_calls_total', { outcome: 'cancelled' }) === 1,
      { what: 'the cancelled call to be counted' },
    );
    const after = await scrape();
    for (const [outcome, code] of [
      ['answered', ''],
      ['worker_error', ''],
      ['failed', ''],
      ['timed_out', ''],
      ['queue_timed_out', ''],
      ['cancelled', ''],
      ['rejected', 'queue_full'],
    ] as const) {
      assert.equal(
        sample(after, 'switchboard_calls_total', { service: 'm', outcome, code }),
        1,
        `${outcome} ${code}`,
      );
    }
    assert.equal(sample(after, 'switchboard_call_duration_seconds_count', { service: 'm' }), 7);
    // Three jobs taken, each from the queue (no worker was parked when they came).
    assert.equal(sample(after, 'switchboard_queue_wait_seconds_count', { service: 'm' }), 3);
    assert.ok(
      (sample(after, 'switchboard_call_duration_seconds_bucket', { service: 'm', le: '+Inf' }) ??
        0) === 7,
    );
    // prom-client's process metrics come along.
    assert.ok(sample(after, 'process_cpu_user_seconds_total') !== undefined);
  });

  test('[P-METRICS] labels stay bounded: services past HUB_METRICS_MAX_SERVICES share "other", invalid names get none', async () => {
    // A label is earned by a service a worker serves: each of these has its job taken.
    for (const service of ['b1', 'b2', 'b3', 'b4']) {
      const call = post(server, service, { 'hub-no-workers': 'queue', 'hub-timeout': '300' });
      await fetch(`${server.url}/service/${service}/jobs?timeout=1000`);
      await call;
    }
    await post(server, 'not%20valid');
    const text = await scrape();
    // 'm' (above) and b1, b2 hold the three labels; b3 and b4 are 'other'.
    assert.equal(
      sample(text, 'switchboard_calls_total', { service: 'b2', outcome: 'timed_out' }),
      1,
    );
    assert.equal(sample(text, 'switchboard_calls_total', { service: 'b3' }), undefined);
    assert.equal(
      sample(text, 'switchboard_calls_total', { service: 'other', outcome: 'timed_out' }),
      2,
    );
    assert.doesNotMatch(text, /not valid|not%20valid/);
  });

  // Issue 26, item 12: a typo's calls, refused no_workers, squatted a label for good.
  test('[P-METRICS] a service nobody serves gets no label of its own: its refused calls count under "other"', async () => {
    await post(server, 'no-such-service', { 'hub-timeout': '10' });
    const text = await scrape();
    assert.equal(
      sample(text, 'switchboard_calls_total', { service: 'no-such-service' }),
      undefined,
    );
  });

  test('[P-METRICS] the exposition is Prometheus text; only GET', async () => {
    const response = await fetch(`${server.url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await response.text(), /# TYPE switchboard_calls_total counter/);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  });
});

describe('[P-METRICS] metrics and auth, metrics off', () => {
  test('[P-METRICS] with auth on, /metrics takes the admin token (Prometheus bearer_token)', async () => {
    const server = await startServer(testConfig({ authTokens }));
    try {
      const scrape = (token?: string) =>
        fetch(
          `${server.url}/metrics`,
          token ? { headers: { authorization: `Bearer ${token}` } } : {},
        );
      assert.equal((await scrape()).status, 401);
      assert.equal((await scrape(TOKENS.callerAdd)).status, 403);
      assert.equal((await scrape(TOKENS.admin)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('[P-METRICS] HUB_METRICS_MAX_SERVICES=0 turns metrics off: /metrics is 404', async () => {
    const server = await startServer(testConfig({ metricsMaxServices: 0 }));
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    } finally {
      await server.close();
    }
  });
});

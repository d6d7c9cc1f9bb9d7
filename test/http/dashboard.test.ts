import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_EVENT_STREAMS } from '../../src/http/dashboard-routes.js';
import { startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { authTokens, TOKENS } from '../support/tokens.js';

/** Reads server-sent events from `response` until `count` have come; returns their data, parsed. */
async function events(response: Response, count: number): Promise<unknown[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const found: unknown[] = [];
  while (found.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
      const event = text.slice(0, end);
      text = text.slice(end + 2);
      assert.match(event, /^event: snapshot$/m);
      found.push(
        JSON.parse(
          event
            .split('\n')
            .find((l) => l.startsWith('data:'))
            ?.slice(5) ?? '',
        ),
      );
    }
  }
  await reader.cancel();
  return found;
}

test('[P-DASHBOARD] /ui/events streams a snapshot a second: /status figures, oldest wait and the last minute', async () => {
  const server = await startServer(testConfig());
  try {
    const queued = fetch(`${server.url}/service/dash`, {
      method: 'POST',
      headers: { 'hub-no-workers': 'queue', 'hub-timeout': '100' },
    });
    // Taken by a worker, so the service is real and gets its own line (issue 26, item 12).
    await fetch(`${server.url}/service/dash/jobs?timeout=1000`);
    assert.equal((await queued).status, 504);
    const response = await fetch(`${server.url}/ui/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const started = Date.now();
    const [first, second] = (await events(response, 2)) as {
      at: number;
      ready: boolean;
      services: {
        service: string;
        timedOut: number;
        oldestQueuedMs: number;
        lastMinute: { perSecond: number[]; p50Ms: number };
      }[];
    }[];
    assert.ok(first && second);
    assert.ok(Date.now() - started >= 900, 'a snapshot a second');
    assert.ok(second.at - first.at >= 900);
    const dash = first.services.find((s) => s.service === 'dash');
    assert.equal(first.ready, true);
    assert.equal(dash?.timedOut, 1);
    assert.equal(dash?.oldestQueuedMs, 0);
    assert.equal(
      dash?.lastMinute.perSecond.reduce((a, b) => a + b, 0),
      1,
    );
    assert.ok(dash.lastMinute.p50Ms >= 100);
  } finally {
    await server.close();
  }
});

test('[P-DASHBOARD] the page is open, its events take the admin token; GET / sends a browser to /ui', async () => {
  const server = await startServer(testConfig({ authTokens }));
  try {
    const page = await fetch(`${server.url}/ui`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Switchboard<\/title>/);
    assert.equal((await fetch(`${server.url}/ui/dashboard.js`)).status, 200);
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    assert.deepEqual([root.status, root.headers.get('location')], [302, '/ui']);
    assert.equal((await fetch(`${server.url}/ui/events`)).status, 401);
    const caller = { authorization: `Bearer ${TOKENS.callerAdd}` };
    assert.equal((await fetch(`${server.url}/ui/events`, { headers: caller })).status, 403);
  } finally {
    await server.close();
  }
});

test('[P-DASHBOARD] the stream ends when the hub shuts down, so it never holds the shutdown open', async () => {
  const server = await startServer(testConfig({ shutdownGraceMs: 100 }));
  const response = await fetch(`${server.url}/ui/events`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  const started = Date.now();
  await server.close();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {}
  assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`);
});

test('[P-DASHBOARD] at most MAX_EVENT_STREAMS streams at once: one more is 503 hub_full, a closed one frees its place', async () => {
  const server = await startServer(testConfig());
  const open: ReadableStreamDefaultReader<Uint8Array>[] = [];
  try {
    for (let i = 0; i < MAX_EVENT_STREAMS; i++) {
      const response = await fetch(`${server.url}/ui/events`);
      assert.equal(response.status, 200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      open.push(reader);
    }
    const refused = await fetch(`${server.url}/ui/events`);
    assert.deepEqual([refused.status, refused.headers.get('hub-error')], [503, 'hub_full']);
    await open.pop()?.cancel();
    let again = 0;
    for (let i = 0; i < 100 && again !== 200; i++) {
      const response = await fetch(`${server.url}/ui/events`);
      again = response.status;
      if (again === 200) open.push((response.body as ReadableStream<Uint8Array>).getReader());
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(again, 200);
  } finally {
    await Promise.all(open.map((reader) => reader.cancel()));
    await server.close();
  }
});

// Issue 26, item 18: each stream serialized the whole snapshot itself.
test('[P-DASHBOARD] every watcher gets the same snapshot text, serialized once', async () => {
  const server = await startServer(testConfig());
  const stringify = JSON.stringify;
  let snapshots = 0;
  JSON.stringify = ((value: unknown, ...rest: []) => {
    if (typeof value === 'object' && value !== null && 'services' in value && 'at' in value) {
      snapshots++;
    }
    return stringify(value, ...rest);
  }) as typeof JSON.stringify;
  try {
    const watchers = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${server.url}/ui/events`)),
    );
    const firsts = await Promise.all(watchers.map((w) => events(w, 1)));
    assert.equal(new Set(firsts.map((f) => stringify(f))).size, 1);
    assert.equal(snapshots, 1);
  } finally {
    JSON.stringify = stringify;
    await server.close();
  }
});

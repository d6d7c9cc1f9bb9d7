/**
 * The dashboard in a real browser (docs/dashboard.md): Debian's chromium driven
 * by playwright-core. The page asks for the admin token, then its numbers follow
 * the hub live and match /status; it fits a phone; the screenshot in the README
 * is taken here.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { HubClient, HubWorker } from '../../src/sdk/index.js';
import { launchBrowser, noBrowser as missing } from '../support/browser.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';

const SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));

let server: RunningServer;
let browser: Browser;
let worker: HubWorker;

before(async () => {
  if (missing) return;
  server = await startServer(testConfig({ authTokens, callTimeoutMs: 30_000 }));
  browser = await launchBrowser();
  worker = new HubWorker({
    url: server.url,
    token: TOKENS.workerAdd,
    services: 'add',
    concurrency: 4,
    logger: false,
    handler: async (job) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const { first, second } = job.json<{ first: number; second: number }>();
      return { answer: first + second };
    },
  }).start();
});

after(async () => {
  await worker?.stop({ graceMs: 0 });
  await browser?.close();
  await server?.close();
});

/** The text of one field of one service's card, as the page shows it. */
const field = (page: Page, service: string, name: string) =>
  page.locator(`[data-service="${service}"] [data-field="${name}"]`).textContent();

test('the dashboard asks for the admin token, then shows live figures that follow /status', {
  skip: missing,
  timeout: 60_000,
}, async () => {
  const caller = new HubClient({ url: server.url, token: TOKENS.callerAdd });
  const admin = new HubClient({ url: server.url, token: TOKENS.admin });
  const call = (i: number) => caller.call('add', { first: i, second: 1 });
  await Promise.all(Array.from({ length: 5 }, (_, i) => call(i)));

  const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  page.setDefaultTimeout(5000);
  // A browser at the hub's root lands on the dashboard.
  await page.goto(`${server.url}/`);
  assert.equal(new URL(page.url()).pathname, '/ui');
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', TOKENS.admin);
  await page.click('#login button');
  await page.locator('[data-service="add"]').waitFor();

  const answered = async () =>
    (await admin.status()).services.find((s) => s.service === 'add')?.answered;
  await until(async () => (await field(page, 'add', 'answered')) === String(await answered()), {
    timeoutMs: 5000,
    what: 'the page to show /status',
  });
  assert.equal(await field(page, 'add', 'answered'), '5');

  // More traffic: the numbers on the page change, live, and still match /status.
  await Promise.all(Array.from({ length: 20 }, (_, i) => call(i)));
  await until(async () => (await field(page, 'add', 'answered')) === '25', {
    timeoutMs: 5000,
    what: 'the page to follow the new calls',
  });
  assert.equal(String(await answered()), '25');
  assert.notEqual(await field(page, 'add', 'p50'), '–', 'p50 from the last minute');
  assert.notEqual(await field(page, 'add', 'p99'), '–', 'p99 from the last minute');
  assert.notEqual(await field(page, 'add', 'rate'), '0.0');
  const points = await page
    .locator('[data-service="add"] [data-field="chart"]')
    .getAttribute('points');
  assert.equal(points?.split(' ').length, 60, 'a point a second for the last minute');
  await page.screenshot({ path: SCREENSHOT });

  // Readable on a phone: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  // A string, not a function: this file is type-checked without the DOM's types.
  const overflow = (await page.evaluate(
    'document.documentElement.scrollWidth - window.innerWidth',
  )) as number;
  assert.ok(overflow <= 0, `${overflow} px wider than a phone`);
  await page.close();
});

test('the dashboard shows a queue building, with its oldest wait', {
  skip: missing,
  timeout: 30_000,
}, async () => {
  const caller = new HubClient({ url: server.url, token: TOKENS.callerAdd });
  const page = await browser.newPage();
  // Fail in seconds, with the locator named, rather than at the test's timeout.
  page.setDefaultTimeout(5000);
  await page.goto(`${server.url}/ui`);
  await page.fill('#token', TOKENS.admin);
  await page.click('#login button');
  // Jobs no worker takes: the `add` worker is stopped for the while.
  await worker.stop({ graceMs: 0 });
  const parked = Array.from({ length: 3 }, (_, i) =>
    caller
      .call(
        'add',
        { first: i, second: 0 },
        { timeout: 10_000, headers: { 'hub-no-workers': 'queue' } },
      )
      .catch(() => undefined),
  );
  await until(async () => (await field(page, 'add', 'queued')) === '3', {
    timeoutMs: 5000,
    what: 'the queue on the page',
  });
  assert.match((await field(page, 'add', 'oldest')) ?? '', /^(\d+ ms|\d+\.\d s)$/);
  worker = new HubWorker({
    url: server.url,
    token: TOKENS.workerAdd,
    services: 'add',
    logger: false,
    handler: () => ({ answer: 0 }),
  }).start();
  await Promise.all(parked);
  await until(async () => (await field(page, 'add', 'queued')) === '0', {
    timeoutMs: 5000,
    what: 'the queue to drain on the page',
  });
  await page.close();
});

/** A snapshot as /ui/events sends it, with figures as wide as they get. */
function wideSnapshot(count: number) {
  return {
    at: Date.now(),
    ready: true,
    services: Array.from({ length: count }, (_, i) => ({
      service: `a-rather-long-service-name-${i}.internal_v2`,
      queued: 123_456,
      inFlight: 98_765,
      waitingWorkers: 10_000,
      answered: 1_234_567_890,
      timedOut: 987_654_321,
      failed: 0,
      redelivered: 0,
      webSocketWorkers: 0,
      // The second service has nothing queued: its oldest wait reads "0 ms".
      oldestQueuedMs: i === 1 ? 0 : 2806,
      lastMinute: {
        callsPerSecond: 12_345.6,
        p50Ms: 2806,
        p99Ms: 119_999,
        perSecond: Array.from({ length: 60 }, (_, s) => s * 100),
      },
    })),
  };
}

// Issue 26, item 23: with four or more services the cards' values spilled over the
// next card's labels at 1280 px, and durations mixed "2806 ms" with "1.3 s".
test('cards keep every label and value inside them, at 1280 and 390 px, with six services of wide figures', {
  skip: missing,
  timeout: 30_000,
}, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(5000);
  const snapshot = wideSnapshot(6);
  await page.route('**/ui/events', (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`,
    }),
  );
  await page.goto(`${server.url}/ui`);
  await page.locator('.service').nth(5).waitFor();
  // Every duration in one style: whole milliseconds below a second, seconds above.
  const first = snapshot.services[0]?.service ?? '';
  assert.equal(await field(page, first, 'oldest'), '2.8 s');
  assert.equal(await field(page, first, 'p50'), '2.8 s');
  assert.equal(await field(page, first, 'p99'), '120.0 s');
  assert.equal(await field(page, snapshot.services[1]?.service ?? '', 'oldest'), '0 ms');
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    // A string, not a function: this file is type-checked without the DOM's types.
    const spilled = (await page.evaluate(`(() => {
      const out = [];
      for (const card of document.querySelectorAll('.service')) {
        const box = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('h2, dt, dd')) {
          const r = el.getBoundingClientRect();
          if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || el.scrollWidth > el.clientWidth + 1) {
            out.push(el.textContent);
          }
        }
      }
      return out;
    })()`)) as string[];
    assert.deepEqual(spilled, [], `overflowing at ${width} px`);
  }
  await page.close();
});

test('[P-WEBHOOK-DEAD] the dashboard lists the webhooks that keep dead letters, and its Replay sends them again', {
  skip: missing,
  timeout: 60_000,
}, async (t) => {
  const local = await startServer(
    testConfig({
      authTokens,
      webhookAllowNetworks: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }],
      webhookRetryMs: 10,
      webhookMaxAttempts: 1,
    }),
  );
  t.after(() => local.close());
  let healthy = false;
  const got: string[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (healthy) got.push(Buffer.concat(chunks).toString());
      res.statusCode = healthy ? 200 : 500;
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  t.after(() => new Promise((resolve) => receiver.close(resolve)));
  const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const admin = { authorization: `Bearer ${TOKENS.admin}` };
  const added = await fetch(`${local.url}/topics/signups/webhooks`, {
    method: 'POST',
    body: JSON.stringify({ address }),
    headers: admin,
  });
  assert.equal(added.status, 201);
  await fetch(`${local.url}/topics/signups`, { method: 'PUT', body: 'ada', headers: admin });
  await until(
    async () =>
      (
        (await (await fetch(`${local.url}/status`, { headers: admin })).json()) as {
          webhooks: { deadLetters: number };
        }
      ).webhooks.deadLetters === 1,
    { what: 'a dead letter', timeoutMs: 5000 },
  );

  const page = await browser.newPage();
  page.setDefaultTimeout(5000);
  await page.goto(`${local.url}/ui`);
  await page.fill('#token', TOKENS.admin);
  await page.click('#login button');
  const row = page.locator('#dead-letters li');
  await row.waitFor();
  assert.equal(
    await row.locator('[data-field="what"]').textContent(),
    `signups → ${address}: 1 dead letter`,
  );
  healthy = true;
  await row.locator('button').click();
  await until(() => got.length === 1, { what: 'the replayed delivery', timeoutMs: 5000 });
  assert.deepEqual(got, ['ada']);
  assert.equal(await page.locator('#replayed').textContent(), 'replaying 1');
  // The next snapshot has none left: the list goes.
  await page.locator('#dead-letters').waitFor({ state: 'hidden' });
  await page.close();
});

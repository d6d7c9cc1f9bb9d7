/**
 * The dashboard in a real browser (docs/dashboard.md): Debian's chromium driven
 * by playwright-core. The page asks for the admin token, then its numbers follow
 * the hub live and match /status; it fits a phone; the screenshot in the README
 * is taken here.
 */
import assert from 'node:assert/strict';
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
  assert.notEqual(await field(page, 'add', 'latency'), '–', 'p50/p99 from the last minute');
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
  assert.match((await field(page, 'add', 'oldest')) ?? '', /^\d+(\.\d)? m?s$/);
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

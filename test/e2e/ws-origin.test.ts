/**
 * Issue 26, item 4: cross-site WebSocket hijacking, tried as the audit tried it,
 * in a real browser. A page from another origin (another port of 127.0.0.1) opens
 * the hub's /ws: refused unless HUB_WS_ALLOWED_ORIGINS lists that origin.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { launchBrowser, noBrowser } from '../support/browser.js';
import { testConfig } from '../support/config.js';

let browser: Browser;
let site: Server;
let siteOrigin: string;

before(async () => {
  if (noBrowser) return;
  // The attacker's page: any page will do, the script runs in its origin.
  site = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  site?.close();
});

/** Opens the hub's /ws from a page at `pageUrl`: 'open', or 'refused'. */
async function openFrom(pageUrl: string, hub: RunningServer): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto(pageUrl);
    return await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url, 'switchboard.v1');
          ws.onopen = () => {
            ws.close();
            resolve('open');
          };
          ws.onerror = () => resolve('refused');
        }),
      `${hub.url.replace('http', 'ws')}/ws`,
    );
  } finally {
    await page.close();
  }
}

test("[P-WS-ORIGIN] a page of another origin cannot open the hub's WebSocket, auth off", {
  skip: noBrowser,
  timeout: 30_000,
}, async () => {
  const hub = await startServer(testConfig());
  try {
    assert.equal(await openFrom(siteOrigin, hub), 'refused');
    // The hub's own pages may (the same origin as the hub).
    assert.equal(await openFrom(`${hub.url}/ui`, hub), 'open');
  } finally {
    await hub.close();
  }
});

test('[P-WS-ORIGIN] an origin listed in HUB_WS_ALLOWED_ORIGINS may', {
  skip: noBrowser,
  timeout: 30_000,
}, async () => {
  const hub = await startServer(testConfig({ wsAllowedOrigins: [siteOrigin] }));
  try {
    assert.equal(await openFrom(siteOrigin, hub), 'open');
  } finally {
    await hub.close();
  }
});

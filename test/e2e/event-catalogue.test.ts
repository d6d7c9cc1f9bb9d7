/**
 * The live catalogue's page (docs/events-protocol.md) in Chromium: an
 * EventMux's documentation, as its workers sent it, shown as text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../../src/http/server.js';
import { EventMux, newResponse } from '../../src/sdk/index.js';
import { launchBrowser, noBrowser } from '../support/browser.js';
import { testConfig } from '../support/config.js';

test('[P-EVENT-CATALOGUE] GET /events/docs shows each event served now with its docs, schemas and example, as text', {
  skip: noBrowser ?? false,
}, async (t) => {
  const server = await startServer(testConfig());
  t.after(() => server.close());
  const mux = new EventMux()
    .add('add', 1, (e) => newResponse(e, { sum: 3 }), {
      doc: 'Adds two numbers. <img src=x onerror="document.title=\'owned\'">',
      input: { type: 'object', required: ['first', 'second'] },
      example: { request: { first: 1, second: 2 }, response: { sum: 3 } },
    })
    .add('echo', 2, (e) => newResponse(e, e.payload));
  const serving = mux.serve({ hub: server.url, transport: 'http', logger: false, id: 'mux-1' });
  t.after(() => serving.stop({ graceMs: 0 }));
  await serving.ready;

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/events/docs`);
  await page.waitForSelector('section.event');
  const sections = await page.$$eval('section.event', (nodes) =>
    nodes.map((node) => (node as unknown as { innerText: string }).innerText),
  );
  assert.equal(sections.length, 2);
  assert.match(sections[0] ?? '', /add\s+version 1/);
  assert.match(sections[0] ?? '', /Adds two numbers\. <img src=x onerror=/);
  assert.match(sections[0] ?? '', /add\.v1/);
  assert.match(sections[0] ?? '', /mux-1/);
  assert.match(sections[1] ?? '', /echo\s+version 2/);
  assert.match(sections[1] ?? '', /No documentation sent\./);
  const example = await page.$eval('section.event pre[data-field="example"]', (n) => n.textContent);
  assert.deepEqual(JSON.parse(example ?? ''), {
    request: { first: 1, second: 2 },
    response: { sum: 3 },
  });
  // Workers' words are text: no element was made of them, no script ran.
  assert.equal(await page.$$eval('main img', (nodes) => nodes.length), 0);
  assert.notEqual(await page.title(), 'owned');
  assert.match(await page.$eval('#state', (n) => n.textContent ?? ''), /2 served now/);
  assert.deepEqual(errors, []);
});

/**
 * The OpenAPI document (src/http/openapi.ts) against the app itself: it names
 * every route the app declares and no other, every header of protocol.ts, every
 * error code; `GET /openapi.json` serves it; docs/api.md is rendered from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderApiReference } from '../../scripts/api-docs.js';
import { ErrorCode } from '../../src/errors.js';
import { OPENAPI } from '../../src/http/openapi.js';
import { Header, MAX_SERVICE_NAME_LENGTH } from '../../src/protocol.js';
import { testApp } from '../support/config.js';

type Json = Record<string, unknown>;
const paths = OPENAPI.paths as Record<string, Record<string, Json>>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * `/jobs/:id` → `/jobs/{id}`; `/call/:service/*` → `/call/{name}/{path}`;
 * `/topics/` → `/topics` (msgbus's listing has its slash; OpenAPI documents
 * the path once, without, as Redocly's rules ask).
 */
function openApiPath(honoPath: string): string {
  return honoPath
    .replace(/(.)\/$/, '$1')
    .replace(/:service\b/, ':name')
    .replace(/\/\*$/, '/{path}')
    .replace(/:([A-Za-z]+)/g, '{$1}');
}

const operations = () =>
  Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({
      path,
      method,
      operation: item[method] as Json,
    })),
  );

test('the OpenAPI document names every route the app declares, and only those', () => {
  const { app } = testApp();
  const declared = app.routes.filter((r) => r.path !== '/*');
  for (const route of declared) {
    const item = paths[openApiPath(route.path)];
    assert.ok(item, `no path for ${route.method} ${route.path}`);
    if (route.method === 'ALL') continue; // a 405 for the other methods, or /call's any method
    assert.ok(item[route.method.toLowerCase()], `no ${route.method} ${route.path}`);
  }
  for (const { path, method } of operations()) {
    const served = declared.some(
      (r) =>
        openApiPath(r.path) === path &&
        (r.method === method.toUpperCase() || (r.method === 'ALL' && path.startsWith('/call/'))),
    );
    assert.ok(served, `${method.toUpperCase()} ${path} is documented but no route serves it`);
  }
});

test('the OpenAPI document has every header of protocol.ts and every error code of docs/errors.md in its responses', () => {
  const text = JSON.stringify(OPENAPI).toLowerCase();
  for (const name of Object.values(Header)) assert.ok(text.includes(`"${name}"`), `header ${name}`);
  const documented = new Set(
    operations().flatMap(({ operation }) =>
      Object.values(operation.responses as Record<string, Json>).flatMap((r) => [
        ...((r['x-error-codes'] as string[]) ?? []),
        // Codes answered inside a 200 error event (POST /events).
        ...((r['x-event-error-codes'] as string[]) ?? []),
      ]),
    ),
  );
  for (const code of Object.values(ErrorCode))
    assert.ok(documented.has(code), `error code ${code}`);
  const errorsPage = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const code of documented)
    assert.match(errorsPage, new RegExp(`\`${code}\``), `${code} in docs/errors.md`);
});

test('each error response sits under the status its codes have', async () => {
  const { ERROR_STATUS } = await import('../../src/exchange/error-status.js');
  for (const { path, method, operation } of operations()) {
    for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
      for (const code of (response['x-error-codes'] as ErrorCode[]) ?? []) {
        assert.equal(String(ERROR_STATUS[code]), status, `${method} ${path}: ${code}`);
      }
    }
  }
});

test('GET /openapi.json serves the document, OpenAPI 3.1, without a token even with auth on', async () => {
  const { app } = testApp({
    authTokens: JSON.stringify({
      tokens: [{ name: 'ops', token: 'admin-token-0123456789', role: 'admin' }],
    }),
  });
  const response = await app.request('/openapi.json');
  assert.equal(response.status, 200);
  const document = (await response.json()) as Json;
  assert.equal(document.openapi, '3.1.0');
  assert.deepEqual(document, JSON.parse(JSON.stringify(OPENAPI)));
});

test('docs/api.md is rendered from the document (npm run docs:api)', () => {
  const page = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  assert.equal(page, renderApiReference(), 'docs/api.md is stale: run npm run docs:api');
});

// Issue 26, item 24: `redocly lint` reported errors in /openapi.json. Redocly's
// recommended rules, run on the document the hub serves, must find nothing.
test("/openapi.json passes a real OpenAPI validator: Redocly's recommended rules, no error, no warning", async () => {
  const { createConfig, lintFromString } = await import('@redocly/openapi-core');
  const config = await createConfig({
    extends: ['recommended'],
    rules: {
      // Two operations have no 2xx by nature (the WebSocket upgrade is 101, `GET /`
      // a redirect), and the dashboard's files and probes no 4xx; the test below
      // holds every other operation to both.
      'operation-2xx-response': 'off',
      'operation-4xx-response': 'off',
    },
  });
  const { app } = testApp();
  const served = await (await app.request('/openapi.json')).text();
  const problems = await lintFromString({ source: served, absoluteRef: 'openapi.json', config });
  assert.deepEqual(
    problems.map((p) => `${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`),
    [],
  );
});

test('every operation of the API has an operationId, a 2xx and a 4xx answer', () => {
  const ids = new Set<string>();
  for (const { path, method, operation } of operations()) {
    const id = operation.operationId as string | undefined;
    assert.ok(id, `${method} ${path} has no operationId`);
    assert.ok(!ids.has(id), `operationId ${id} twice`);
    ids.add(id);
    if (
      path === '/ws' ||
      path === '/' ||
      path.startsWith('/ui/dashboard') ||
      path === '/ui' ||
      // Pages that hold no data, open to all.
      (path === '/events/docs' && method === 'get') ||
      path === '/ui/events.js' ||
      path === '/ui/hub-fetch.js' ||
      path === '/openapi.json'
    )
      continue;
    const statuses = Object.keys(operation.responses as Json);
    assert.ok(
      statuses.some((s) => s.startsWith('2')),
      `${method} ${path}: no 2xx`,
    );
    if (path !== '/healthz')
      assert.ok(
        statuses.some((s) => s.startsWith('4')),
        `${method} ${path}: no 4xx`,
      );
  }
});

test("parameter schemas come from protocol.ts: the service name's length and pattern", () => {
  const parameters = (paths['/service/{name}']?.post?.parameters ?? []) as Json[];
  const name = parameters.find((p) => p.name === 'name');
  const schema = name?.schema as Json;
  assert.equal(schema.maxLength, MAX_SERVICE_NAME_LENGTH);
  assert.equal(
    new RegExp(schema.pattern as string).test('a'.repeat(MAX_SERVICE_NAME_LENGTH)),
    true,
  );
  assert.equal(
    new RegExp(schema.pattern as string).test('a'.repeat(MAX_SERVICE_NAME_LENGTH + 1)),
    false,
  );
});

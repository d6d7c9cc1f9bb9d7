import { type Config, loadConfig } from '../../src/config.js';
import type { Hub } from '../../src/core/hub.js';
import { createHub } from '../../src/create-hub.js';
import type { CallPayload } from '../../src/domain/job.js';
import { createApp } from '../../src/http/app.js';

/** Defaults with short timeouts, so tests that wait for a deadline finish in milliseconds. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ env: {}, argv: [] }),
    port: 0,
    callTimeoutMs: 2000,
    pollTimeoutMs: 2000,
    shutdownGraceMs: 500,
    // Off unless a test is about it: most tests call before their worker polls.
    noWorkersMs: 0,
    ...overrides,
  };
}

export function testHub(overrides: Partial<Config> = {}): Hub {
  return createHub(testConfig(overrides));
}

/** A hub and its Hono app, for in-process `app.request()` tests. */
export function testApp(overrides: Partial<Config> = {}) {
  const config = testConfig(overrides);
  const hub = createHub(config);
  return { hub, app: createApp(hub, config), config };
}

export function jsonPayload(value: unknown): CallPayload {
  return {
    method: 'POST',
    path: '/',
    query: '',
    body: Buffer.from(JSON.stringify(value)),
    contentType: 'application/json',
    isJson: true,
    headers: {},
    flowId: 'test-flow',
  };
}

/** Resolves after pending I/O callbacks have run: lets a request reach its handler. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

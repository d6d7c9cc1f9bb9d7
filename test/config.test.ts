import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configHelp, INT_OPTIONS, loadConfig, STRING_OPTIONS } from '../src/config.js';

test('[P-CONFIG] loadConfig() - defaults live in one table and the result is frozen', () => {
  const config = loadConfig({ env: {}, argv: [] });
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.maxBodyBytes, 1024 * 1024);
  assert.equal(config.maxQueuedPerService, 10_000);
  assert.equal(config.callTimeoutMs, 30_000);
  assert.equal(config.maxCallTimeoutMs, 300_000);
  assert.equal(config.pollTimeoutMs, 30_000);
  assert.equal(config.maxPollTimeoutMs, 120_000);
  for (const option of INT_OPTIONS) assert.equal(config[option.key], option.default, option.key);
  assert.ok(Object.isFrozen(config));
});

test('[P-CONFIG] loadConfig() - a flag wins over its environment variable, which wins over the default', () => {
  const env = { PORT: '9000', HOST: '0.0.0.0', HUB_MAX_QUEUED: '5' };
  const fromEnv = loadConfig({ env, argv: [] });
  assert.deepEqual([fromEnv.port, fromEnv.host, fromEnv.maxQueuedPerService], [9000, '0.0.0.0', 5]);
  const fromFlags = loadConfig({
    env,
    argv: ['--port', '9100', '--host=::1', '--max-queued', '7'],
  });
  assert.deepEqual(
    [fromFlags.port, fromFlags.host, fromFlags.maxQueuedPerService],
    [9100, '::1', 7],
  );
});

test('[P-CONFIG] loadConfig() - bad values are a ConfigError naming the setting and the range', () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ PORT: 'http' }, [], /^Invalid PORT: expected a whole number from 0 to 65535, got 'http'$/],
    [{ HUB_MAX_BODY_BYTES: '0' }, [], /HUB_MAX_BODY_BYTES.*from 1/],
    [{ HUB_CALL_TIMEOUT_MS: '1.5' }, [], /HUB_CALL_TIMEOUT_MS/],
    [{ HUB_POLL_TIMEOUT_MS: '-1' }, [], /HUB_POLL_TIMEOUT_MS/],
    [{}, ['--max-parked', ''], /--max-parked/],
    [
      { HUB_POLL_TIMEOUT_MS: '200000' },
      [],
      /HUB_POLL_TIMEOUT_MS: 200000 is above HUB_MAX_POLL_TIMEOUT_MS/,
    ],
    [{ HOST: ' ' }, [], /HOST/],
    [{}, ['--bogus'], /bogus/],
    [{}, ['positional'], /positional/],
    [
      { HUB_COMPAT: 'gearman' },
      [],
      /^Invalid HUB_COMPAT: expected 'astrohub' or nothing, got 'gearman'$/,
    ],
    // The flag that gave the value is the one named, as for every setting.
    [{}, ['--compat', 'AstroHub'], /^Invalid --compat: expected 'astrohub' or nothing/],
    [
      { HUB_IDEMPOTENCY_SCOPE_HEADERS: 'x-user-id, bad header' },
      [],
      /HUB_IDEMPOTENCY_SCOPE_HEADERS.*'bad header'/,
    ],
  ];
  for (const [env, argv, message] of cases) {
    assert.throws(
      () => loadConfig({ env, argv }),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      `${JSON.stringify(env)} ${argv.join(' ')}`,
    );
  }
});

test('[P-CONFIG] loadConfig() - the AstroHub setting and the idempotency scope headers', () => {
  const defaults = loadConfig({ env: {}, argv: [] });
  assert.equal(defaults.compat, '');
  assert.deepEqual(defaults.idempotencyScopeHeaders, ['x-user-id']);
  const set = loadConfig({
    env: { HUB_IDEMPOTENCY_SCOPE_HEADERS: ' X-User-Id, X-Tenant ,' },
    argv: ['--compat', 'astrohub'],
  });
  assert.equal(set.compat, 'astrohub');
  assert.deepEqual(set.idempotencyScopeHeaders, ['x-user-id', 'x-tenant']);
  assert.deepEqual(
    loadConfig({ env: { HUB_IDEMPOTENCY_SCOPE_HEADERS: '' }, argv: [] }).idempotencyScopeHeaders,
    [],
  );
});

// Issue 26, item 30: long flags pushed their rows out of line.
test('[P-CONFIG] --help lines its columns up, whatever the longest flag', () => {
  const rows = configHelp()
    .split('\n')
    .filter((line) => line.startsWith('  --') || line.startsWith('  (no flag)'));
  assert.equal(rows.length, INT_OPTIONS.length + STRING_OPTIONS.length);
  const envColumn = (line: string) =>
    line.indexOf(
      [...INT_OPTIONS, ...STRING_OPTIONS].find((o) => line.includes(` ${o.env} `))?.env ?? '\0',
    );
  assert.equal(new Set(rows.map(envColumn)).size, 1, rows.join('\n'));
});

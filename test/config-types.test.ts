/**
 * Config is typed from the settings table (issue 27, item 5): each setting has its
 * own key and type, and a name that is no setting does not compile. `npm test`
 * type-checks this file; the run itself asserts the table and the type agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, INT_OPTIONS, loadConfig, STRING_OPTIONS } from '../src/config.js';

function typed(config: Config): void {
  const lease: number = config.leaseMs;
  const compat: '' | 'astrohub' = config.compat;
  const headers: readonly string[] = config.idempotencyScopeHeaders;
  // @ts-expect-error: no such setting
  void config.noSuchSetting;
  // @ts-expect-error: HOST is text, not a number
  const host: number = config.host;
  void [lease, compat, headers, host];
}

test('[P-CONFIG] a loaded Config has exactly the keys of the settings table', () => {
  const config = loadConfig({ env: {}, argv: [] });
  typed(config);
  assert.deepEqual(
    Object.keys(config).sort(),
    [...INT_OPTIONS, ...STRING_OPTIONS].map((o) => o.key).sort(),
  );
  assert.ok(Object.isFrozen(config));
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderConfiguration } from '../scripts/config-docs.js';
import { INT_OPTIONS, STRING_OPTIONS } from '../src/config.js';
import { ErrorCode } from '../src/errors.js';
import { ERROR_STATUS } from '../src/exchange/error-status.js';
import { errorResponse } from '../src/http/response.js';
import { HubError } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function testSources(dir = 'test'): string {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return testSources(path);
      return entry.name.endsWith('.ts') ? read(path) : '';
    })
    .join('\n');
}

test('every rule of docs/protocol.md is cited by a test, and every cited rule exists', () => {
  const rules = new Set(
    [...read('docs/protocol.md').matchAll(/\*\*\[(P-[A-Z-]+)\]\*\*/g)].map((m) => m[1]),
  );
  assert.ok(rules.size >= 20, `found only ${rules.size} rules`);
  // Test names in single quotes, or in template strings (backticks) that add a name.
  const cited = new Set([...testSources().matchAll(/['`]\[(P-[A-Z-]+)\] /g)].map((m) => m[1]));
  assert.deepEqual(
    [...rules].filter((r) => !cited.has(r)),
    [],
    'rules without a test',
  );
  assert.deepEqual(
    [...cited].filter((c) => !rules.has(c)),
    [],
    'tests citing no rule',
  );
});

test('[P-ERRORS] every error code is unique, has a status, and is listed in docs/errors.md with it', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  const catalogue = read('docs/errors.md');
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    assert.ok(status >= 400 && status <= 599, code);
    assert.match(
      catalogue,
      new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`),
      `${code} ${status} in errors.md`,
    );
  }
  const listed = [...catalogue.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), [...codes].sort(), 'errors.md lists exactly the codes');
});

test('[P-ERRORS] a hub error renders as JSON with its code in Hub-Error; anything else is internal_error', async () => {
  const res = errorResponse(new HubError(ErrorCode.QueueFull, 'full'));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('hub-error'), 'queue_full');
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(await res.json(), { error: { code: 'queue_full', message: 'full' } });
  const bug = errorResponse(new TypeError('oops'));
  assert.equal(bug.status, 500);
  assert.deepEqual(await bug.json(), {
    error: { code: 'internal_error', message: 'internal error' },
  });
});

test('[P-CONFIG] docs/configuration.md is rendered from the settings table (npm run docs:config), one row a setting', () => {
  const page = read('docs/configuration.md');
  assert.equal(
    page,
    renderConfiguration(),
    'docs/configuration.md is stale: run npm run docs:config',
  );
  for (const option of [...STRING_OPTIONS, ...INT_OPTIONS]) {
    assert.match(page, new RegExp(`^\\| \`${option.env}\` \\|`, 'm'), option.env);
  }
  assert.match(read('README.md'), /\(docs\/configuration\.md\)/);
});

// Issue 12, item 8: the README linked ../shared/STYLE.md, outside the repository.
test('every relative link in README.md and docs/ points at a file in the repository', () => {
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter(
    (f) => f.endsWith('.md'),
  );
  const broken: string[] = [];
  for (const page of pages) {
    for (const [, target = ''] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
      const path = join(root, dirname(page), target.split('#', 1)[0] ?? '');
      if (!path.startsWith(root) || !existsSync(path)) broken.push(`${page}: ${target}`);
    }
    if (/\.\.\/shared\//.test(read(page))) broken.push(`${page}: mentions ../shared/`);
  }
  assert.deepEqual(broken, []);
});

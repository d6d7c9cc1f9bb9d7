/**
 * Issue 12, item 7: every TypeScript snippet in the docs type-checks, and every
 * example runs as written, says what it does, answers bad input with a 400,
 * and stops cleanly on Ctrl-C.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RunningServer, startServer } from '../src/http/server.js';
import { testConfig } from './support/config.js';
import { until } from './support/http.js';
import { runNode } from './support/process.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The ```ts blocks of a Markdown file, with their indentation (inside list items) removed. */
function tsSnippets(markdown: string): string[] {
  return [...markdown.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)].map(
    ([, indent = '', code = '']) =>
      code
        .split('\n')
        .map((line) => line.slice(indent.length))
        .join('\n'),
  );
}

test('every TypeScript snippet in README.md and docs/ type-checks against the sources', async () => {
  const dir = join(root, '.snippets');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const files = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter(
    (f) => f.endsWith('.md'),
  );
  let count = 0;
  for (const file of files) {
    for (const [i, code] of tsSnippets(readFileSync(join(root, file), 'utf8')).entries()) {
      writeFileSync(join(dir, `${file.replace(/\W/g, '_')}_${i}.ts`), code);
      count++;
    }
  }
  assert.ok(count >= 5, `found only ${count} snippets`);
  // The package's own name resolves to its sources, as it does for a user to dist/.
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: {
        paths: {
          'switchboard-hub/sdk': ['../src/sdk/index.ts'],
          'switchboard-hub': ['../src/index.ts'],
        },
        allowImportingTsExtensions: true,
      },
      include: ['*.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', dir]);
  } catch (error) {
    assert.fail(`a snippet does not type-check:\n${(error as { stdout?: string }).stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the examples, run as the README says', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig());
  });
  after(() => server.close());

  const post = (path: string, body: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'hub-timeout': '5000' },
    });

  for (const [example, says] of [
    ['examples/add-worker.ts', /taking jobs of 'add'/],
    ['examples/add-hono.ts', /serving the app as 'add'/],
  ] as const) {
    test(`${example}: says what it does, answers, refuses bad input with 400, stops on Ctrl-C`, async () => {
      const run = runNode(['--import', 'tsx', join(root, example)], {
        SWITCHBOARD_URL: server.url,
      });
      try {
        await until(() => says.test(run.stdout()), { what: 'its first line', timeoutMs: 10_000 });
        await until(
          async () =>
            (await server.hub.status()).services.some(
              (s) => s.service === 'add' && s.waitingWorkers > 0,
            ),
          { what: 'its poll', timeoutMs: 10_000 },
        );
        const good = await post('/service/add', '{"first": 40, "second": 2}');
        assert.deepEqual(await good.json(), { answer: 42 });
        const bad = await post('/service/add', '{"first": 1}');
        assert.equal(bad.status, 400);
        assert.match(await bad.text(), /expected/);
      } finally {
        run.child.kill('SIGINT');
      }
      assert.equal(await run.exited, 0, run.stderr());
      assert.match(run.stdout(), /stopped/);
    });
  }
});

/**
 * The package as a user gets it (issue 12, item 2): `npm pack`'s tarball,
 * installed into a new project, imported from plain JavaScript and from
 * TypeScript, and its `switchboard` command run through npx. Run by
 * `npm run test:package` (in .ci/run); it installs from the npm registry, so it
 * stays out of the quick `npm test`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Starts a hub from the installed package, serves `add` with its SDK, calls it, and prints the answer. */
const USE_JS = `
import { loadConfig, startServer } from 'switchboard-hub';
import { HubClient, HubWorker } from 'switchboard-hub/sdk';

const server = await startServer(loadConfig({ env: { PORT: '0' }, argv: [] }));
const worker = new HubWorker({
  url: server.url,
  services: 'add',
  logger: false,
  handler: (job) => {
    const { first, second } = job.json();
    return { answer: first + second };
  },
}).start();
await worker.ready;
const { body } = await new HubClient({ url: server.url }).call('add', { first: 40, second: 2 });
console.log(JSON.stringify(body));
await worker.stop();
await server.close();
`;

const USE_TS = `
import { HubClient, HubWorker, type HubResponse, isHubClientError, serveFetch } from 'switchboard-hub/sdk';
import { type Config, loadConfig } from 'switchboard-hub';

const config: Config = loadConfig({ env: {}, argv: [] });
const client = new HubClient({ url: 'http://127.0.0.1:' + config.port, token: 'a-token' });
const worker = new HubWorker({
  url: 'http://127.0.0.1:8080',
  services: ['add'],
  handler: (job) => job.json<{ first: number }>().first + 1,
});
const served = serveFetch(() => new Response('ok'), { hub: 'http://127.0.0.1:8080', service: 'web' });
export async function answer(): Promise<HubResponse<{ answer: number }> | string> {
  try {
    return await client.call<{ answer: number }>('add', { first: 1 });
  } catch (error) {
    return isHubClientError(error) ? error.code : 'other';
  }
}
export { served, worker };
`;

describe('the packed package, installed into a new project', () => {
  let work: string;
  let project: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'switchboard-pack-'));
    // `npm pack` runs `prepare`, which builds dist/: what a git install does too.
    await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)],
      { cwd: project },
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('plain JavaScript imports switchboard-hub and switchboard-hub/sdk and makes a call', async () => {
    writeFileSync(join(project, 'use.mjs'), USE_JS);
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), { answer: 42 });
  });

  test('TypeScript type-checks against the shipped declarations', async () => {
    writeFileSync(join(project, 'use.ts'), USE_TS);
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--typeRoots',
      join(root, 'node_modules', '@types'),
      'use.ts',
    ];
    await run(process.execPath, args, { cwd: project });
    // The check can fail: a wrong type is an error.
    writeFileSync(
      join(project, 'wrong.ts'),
      `import { HubClient } from 'switchboard-hub/sdk';\nnew HubClient({ url: 42 });\n`,
    );
    await assert.rejects(
      run(process.execPath, [...args.slice(0, -1), 'wrong.ts'], { cwd: project }),
    );
  });

  test('npx switchboard --help runs the installed command', async () => {
    const { stdout } = await run('npx', ['--no-install', 'switchboard', '--help'], {
      cwd: project,
    });
    assert.match(stdout, /^Usage: switchboard <command>/);
    assert.match(stdout, /serve\s+run the hub/);
  });

  test('the tarball holds the build and the command, not the sources or the tests', () => {
    const installed = join(project, 'node_modules', 'switchboard-hub');
    const top = readdirSync(installed).sort();
    assert.ok(top.includes('dist') && top.includes('bin'), top.join(' '));
    for (const absent of ['src', 'test', 'scripts']) assert.ok(!top.includes(absent), absent);
    assert.ok(readdirSync(join(installed, 'dist', 'sdk')).includes('index.d.ts'));
  });

  // Issue 26, item 30: the tarball's README linked docs the tarball lacked, and it
  // had no LICENSE though package.json says MIT.
  test('the package holds a LICENSE and every file its README links to', () => {
    const installed = join(project, 'node_modules', 'switchboard-hub');
    assert.ok(existsSync(join(installed, 'LICENSE')));
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    assert.ok(targets.length > 5, `only ${targets.length} links`);
    const missing = targets.filter((target) => !existsSync(join(installed, target)));
    assert.deepEqual(missing, []);
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatStatus } from '../../src/cli/status.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { type HubStatus, SERVICE_FIGURES, type ServiceStats } from '../../src/protocol.js';
import { HubClient, HubWorker } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';
import { runCli } from '../support/process.js';

const ADD_SH = fileURLToPath(new URL('../../examples/add.sh', import.meta.url));
/** A new CLI process compiles its TypeScript through tsx first: seconds on a busy 2-core machine. */
const CLI_START_MS = 15_000;

describe('the switchboard CLI, run as a child process', () => {
  /** Waits until the hub's figures for `service` satisfy `check`. */
  const untilService = (service: string, check: (s: ServiceStats) => boolean) =>
    until(
      async () => {
        const stats = (await server.hub.status()).services.find((s) => s.service === service);
        return stats !== undefined && check(stats);
      },
      { what: `service ${service}`, timeoutMs: 10_000 },
    );
  let server: RunningServer;
  let worker: HubWorker;
  let hub: string[];
  before(async () => {
    server = await startServer(testConfig());
    hub = ['--hub', server.url];
    worker = new HubWorker({
      url: server.url,
      services: ['echo', 'picky'],
      logger: false,
      handler: (job) =>
        job.service === 'picky'
          ? new Response('{"error":"no"}', {
              status: 422,
              headers: { 'content-type': 'application/json' },
            })
          : { got: job.json() },
    }).start();
  });
  after(async () => {
    await worker.stop();
    await server.close();
  });

  test('pub publishes and prints the id, pull prints the oldest body (exit 1 when none), sub prints each message as it comes', async () => {
    const pub = runCli(['pub', 'cli-news', 'first', ...hub]);
    assert.equal(await pub.exited, 0, pub.stderr());
    assert.equal(pub.stdout(), '0\n');
    const piped = runCli(['pub', 'cli-news', '-', ...hub], { input: 'second\n' });
    assert.equal(await piped.exited, 0, piped.stderr());
    const sub = runCli(['sub', 'cli-news', '--oldest', ...hub]);
    await until(() => sub.stdout() === 'first\nsecond\n', {
      timeoutMs: CLI_START_MS,
      what: 'sub printed the backlog',
    });
    await new HubClient({ url: server.url }).publish('cli-news', 'third');
    await until(() => sub.stdout() === 'first\nsecond\nthird\n', { what: 'sub printed the third' });
    sub.child.kill('SIGINT');
    assert.equal(await sub.exited, 0, sub.stderr());
    const pull = runCli(['pull', 'cli-news', ...hub]);
    assert.equal(await pull.exited, 0, pull.stderr());
    assert.equal(pull.stdout(), 'first');
    const drained = runCli(['pull', 'cli-none', '--wait', '10', ...hub]);
    assert.equal(await drained.exited, 1);
    assert.match(drained.stderr(), /no messages enqueued for topic: cli-none/);
    const bad = runCli(['pub', ...hub]);
    assert.equal(await bad.exited, 2);
  });

  test('call prints the answer body and exits 0', async () => {
    const run = runCli(['call', 'echo', '{"a": 1}', ...hub]);
    assert.equal(await run.exited, 0, run.stderr());
    assert.deepEqual(JSON.parse(run.stdout()), { got: { a: 1 } });
  });

  test('call - reads the body from standard input, and SWITCHBOARD_URL finds the hub', async () => {
    const run = runCli(['call', 'echo', '-'], {
      input: '[1, 2]',
      env: { SWITCHBOARD_URL: server.url },
    });
    assert.equal(await run.exited, 0, run.stderr());
    assert.deepEqual(JSON.parse(run.stdout()), { got: [1, 2] });
  });

  test("call exits 1 on a worker's non-2xx answer and still prints its body", async () => {
    const run = runCli(['call', 'picky', '{}', ...hub]);
    assert.equal(await run.exited, 1);
    assert.equal(run.stdout(), '{"error":"no"}');
    assert.match(run.stderr(), /422/);
  });

  test('call exits 3 on a hub error, naming its code', async () => {
    const run = runCli(['call', 'nobody', '{}', '--timeout', '30', ...hub]);
    assert.equal(await run.exited, 3);
    assert.match(run.stderr(), /^switchboard: timeout: /);
  });

  test('call exits 4 when the hub is unreachable, and 2 on bad arguments', async () => {
    const closed = await startServer(testConfig());
    await closed.close();
    const unreachable = runCli(['call', 'echo', '{}', '--hub', closed.url]);
    assert.equal(await unreachable.exited, 4);
    assert.match(unreachable.stderr(), /cannot reach the hub/);
    for (const args of [
      ['call', 'echo', '{bad'],
      ['call'],
      ['call', 'echo', '--timeout', 'soon'],
      ['nonsense'],
    ]) {
      const run = runCli([...args, ...hub]);
      assert.equal(await run.exited, 2, args.join(' '));
      assert.equal(
        run.stderr().trim().split('\n')[0]?.startsWith('switchboard: '),
        true,
        run.stderr(),
      );
    }
  });

  test('work runs a command per job: exit 0 answers its output, a failure answers 500 with its stderr', async () => {
    const run = runCli(['work', 'add-sh', '--concurrency', '2', ...hub, '--', ADD_SH]);
    try {
      const client = new HubClient({ url: server.url });
      const answered = await client.call('add-sh', { first: 40, second: 2 }, { timeout: 5000 });
      assert.equal(answered.status, 200);
      assert.equal(answered.headers.get('content-type'), 'application/json');
      assert.deepEqual(answered.body, { answer: 42 });
      const failed = await client.call('add-sh', { first: 'x' }, { timeout: 5000 });
      assert.equal(failed.status, 500);
      assert.match(
        (failed.body as { error: { message: string } }).error.message,
        /exited with 1: expected/,
      );
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0, run.stderr());
    await until(
      async () =>
        (await server.hub.status()).services.find((s) => s.service === 'add-sh')?.waitingWorkers ===
        0,
    );
  });

  // Issue 26, item 28: a hub's normal shutdown read as "the hub refused a frame
  // (shutting_down)" and then a raw `Error: the WebSocket closed (1001)`.
  test('work --ws says in one calm line that the hub is shutting down', async () => {
    const own = await startServer(testConfig());
    const run = runCli(['work', 'calm', '--ws', '--hub', own.url, '--', ADD_SH]);
    try {
      await until(
        async () =>
          (await own.hub.status()).services.some(
            (s) => s.service === 'calm' && s.webSocketWorkers === 1,
          ),
        { timeoutMs: 10_000, what: 'the worker' },
      );
      await own.close();
      await until(() => run.stderr().includes('shutting down'), {
        timeoutMs: 5000,
        what: 'the line',
      });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    const lines = run
      .stderr()
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('switchboard work:'));
    assert.deepEqual(lines, [
      'switchboard worker: hub unavailable, retrying with backoff: the hub is shutting down or restarting',
    ]);
  });

  test('work --ws serves over a WebSocket, call --ws calls over one, and status counts the socket', async () => {
    const run = runCli(['work', 'add-ws', '--ws', ...hub, '--', ADD_SH]);
    try {
      await untilService('add-ws', (s) => s.webSocketWorkers === 1);
      const call = runCli(['call', 'add-ws', '{"first": 1, "second": 2}', '--ws', ...hub]);
      assert.equal(await call.exited, 0, call.stderr());
      assert.deepEqual(JSON.parse(call.stdout()), { answer: 3 });
      const status = runCli(['status', ...hub]);
      assert.equal(await status.exited, 0, status.stderr());
      const [heading, row] = status.stdout().split('\n');
      assert.match(heading ?? '', /WS WORKERS/);
      const column = (heading ?? '').split(/ {2,}/).indexOf('WS WORKERS');
      const line = status
        .stdout()
        .split('\n')
        .find((l) => l.startsWith('add-ws'));
      assert.equal(line?.trim().split(/\s+/)[column], '1', `${heading}\n${line ?? row}`);
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0, run.stderr());
    await untilService('add-ws', (s) => s.webSocketWorkers === 0);
  });

  // Issue 12, item 3: a terminal's Ctrl-C reached the job's command too, and its
  // caller got 500 'sh was killed by SIGINT'.
  test('work: Ctrl-C (SIGINT to its whole process group) lets the job in hand finish and answer', async () => {
    // The command marks when it runs, so the signal comes while it does.
    const started = join(mkdtempSync(join(tmpdir(), 'sb-work-')), 'started');
    const script = 'echo > "$0"; sleep 0.3; cat';
    const run = runCli(['work', 'slow-echo', ...hub, '--', 'sh', '-c', script, started], {
      ownGroup: true,
    });
    await untilService('slow-echo', (s) => s.waitingWorkers === 1);
    const client = new HubClient({ url: server.url });
    const caller = client.call('slow-echo', { n: 7 }, { timeout: 5000 });
    await until(() => existsSync(started), { what: 'the command to start', timeoutMs: 5000 });
    process.kill(-(run.child.pid ?? 0), 'SIGINT');
    const answered = await caller;
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.deepEqual(answered.body, { n: 7 });
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /SIGINT, finishing the jobs in hand/);
  });

  // docs/cli.md: "A second Ctrl-C (or SIGTERM)". A second signal landing between
  // two stages' listeners once killed the worker instead (exit null, not 130).
  for (const second of ['SIGINT', 'SIGTERM'] as const) {
    test(`work: a second signal (${second} after Ctrl-C) ends the jobs in hand at once and exits 130`, async () => {
      const started = join(mkdtempSync(join(tmpdir(), 'sb-work-')), 'started');
      const script = 'echo > "$0"; sleep 30; cat';
      const run = runCli(['work', 'stuck', ...hub, '--', 'sh', '-c', script, started], {
        ownGroup: true,
      });
      await untilService('stuck', (s) => s.waitingWorkers === 1);
      const caller = new HubClient({ url: server.url })
        .call('stuck', {}, { timeout: 1000 })
        .catch(() => undefined);
      await until(() => existsSync(started), { what: 'the command to start', timeoutMs: 5000 });
      const group = -(run.child.pid ?? 0);
      process.kill(group, 'SIGINT');
      await until(() => run.stderr().includes('finishing the jobs in hand'));
      process.kill(group, second);
      assert.equal(await run.exited, 130, run.stderr());
      assert.match(run.stderr(), new RegExp(`second ${second}, ending the jobs in hand`));
      await caller;
    });
  }

  // Issue 12, item 5: a missing program used to start "serving" and fail every job.
  test('work checks its program at start: missing or not executable exits 2 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-work-'));
    const plain = join(dir, 'not-executable.sh');
    writeFileSync(plain, '#!/bin/sh\ncat\n');
    for (const [program, message] of [
      ['./no-such-program', /cannot run \.\/no-such-program: no such file/],
      ['no-such-program-on-path', /cannot run no-such-program-on-path: not found on PATH/],
      [plain, /is not executable \(chmod \+x/],
    ] as const) {
      const run = runCli(['work', 'x', ...hub, '--', program]);
      assert.equal(await run.exited, 2, program);
      assert.match(run.stderr(), message);
      assert.equal(run.stderr().trim().split('\n').length, 1, run.stderr());
    }
  });

  test('work logs each failed run in its own terminal: exit code or signal, first line of stderr', async () => {
    const run = runCli([
      'work',
      'failing',
      ...hub,
      '--',
      'sh',
      '-c',
      'echo boom >&2; echo more >&2; exit 3',
    ]);
    try {
      await untilService('failing', (s) => s.waitingWorkers === 1);
      const failed = await new HubClient({ url: server.url }).call(
        'failing',
        {},
        { timeout: 5000 },
      );
      assert.equal(failed.status, 500);
      await until(() => run.stderr().includes('exited with 3'));
      assert.match(run.stderr(), /job \S+: sh exited with 3: boom\n/);
    } finally {
      run.child.kill('SIGTERM');
    }
    await run.exited;
  });

  test('status prints a table, or the raw status with --json', async () => {
    const table = runCli(['status', ...hub]);
    assert.equal(await table.exited, 0, table.stderr());
    assert.match(table.stdout(), /^SERVICE\s+QUEUED\s+IN FLIGHT\s+WORKERS/);
    assert.match(table.stdout(), /^echo\s+0\s+0\s+\d+\s+\d+/m);
    const json = runCli(['status', '--json', ...hub]);
    assert.equal(await json.exited, 0);
    assert.equal(JSON.parse(json.stdout()).ready, true);
  });

  test('status --watch redraws until interrupted, and Ctrl-C ends it with exit 0', async () => {
    const run = runCli(['status', '--watch', '--interval', '100', ...hub]);
    await until(() => run.stdout().split('SERVICE').length > 2, {
      what: 'a second redraw',
      timeoutMs: CLI_START_MS,
    });
    run.child.kill('SIGINT');
    // Issue 26, item 30: it exited 130, a code the table gives only to `work`.
    assert.equal(await run.exited, 0, run.stderr());
    assert.ok(run.stdout().includes('\x1b[2J'), 'the screen is cleared between redraws');
    // Issue 26, item 30: "1 polls".
    assert.match(run.stdout(), /parked: \d+ calls?, \d+ polls?\n/);
    assert.doesNotMatch(run.stdout(), /parked: 1 calls|, 1 polls/);
  });

  // Issue 12, item 8.
  test('status --watch --json prints one JSON document a line, with no screen codes', async () => {
    const run = runCli(['status', '--watch', '--json', '--interval', '100', ...hub]);
    await until(() => run.stdout().split('\n').length > 2, {
      what: 'two documents',
      timeoutMs: CLI_START_MS,
    });
    run.child.kill('SIGINT');
    await run.exited;
    assert.ok(!run.stdout().includes('\x1b'), 'no escape codes');
    const lines = run.stdout().trim().split('\n');
    for (const line of lines) assert.equal(JSON.parse(line).ready, true);
  });

  test('a --hub or SWITCHBOARD_URL that is not an http URL is a bad argument: exit 2, not 4', async () => {
    const byFlag = runCli(['call', 'echo', '{}', '--hub', 'not-a-url']);
    assert.equal(await byFlag.exited, 2);
    assert.match(byFlag.stderr(), /--hub must be an http:\/\/ or https:\/\/ URL, got 'not-a-url'/);
    const byEnv = runCli(['status'], { env: { SWITCHBOARD_URL: 'ftp://hub' } });
    assert.equal(await byEnv.exited, 2);
    assert.match(byEnv.stderr(), /SWITCHBOARD_URL must be/);
  });

  test('every command has --help with an example', async () => {
    for (const command of ['call', 'work', 'status', 'pub', 'pull', 'sub']) {
      const run = runCli([command, '--help']);
      assert.equal(await run.exited, 0);
      assert.match(run.stdout(), new RegExp(`Usage: switchboard ${command}[\\s\\S]*Examples?:`));
    }
  });
});

// Issue 26, item 30: "hub ready; parked: 0 calls, 1 polls".
test('status - the footer counts in words: 1 call, 1 poll, 2 polls', () => {
  const total = Object.fromEntries(SERVICE_FIGURES.map((f) => [f, 0])) as HubStatus['total'];
  const status = {
    ready: true,
    replica: 'h-1',
    total,
    services: [],
    webhooks: { registered: 0, deadLetters: 0 },
  };
  const footer = (calls: number, polls: number, store: 'memory' | 'redis' = 'memory') =>
    formatStatus({ ...status, store, parkedCalls: calls, parkedPolls: polls })
      .trim()
      .split('\n')
      .at(-1);
  assert.equal(footer(1, 1), 'hub ready; parked: 1 call, 1 poll');
  assert.equal(footer(0, 2), 'hub ready; parked: 0 calls, 2 polls');
  // Replicas: the parked figures are the answering replica's, and it says so.
  assert.equal(
    footer(0, 2, 'redis'),
    'hub ready; parked (replica h-1, Redis store): 0 calls, 2 polls',
  );
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send, until } from '../support/http.js';
import { runMain, startHubProcess } from '../support/process.js';

describe('the hub process (src/main.ts, as npm start runs it)', () => {
  test('[P-SHUTDOWN] SIGTERM: parked polls get 204, queued and new calls 503, in-flight jobs finish, exit 0', async () => {
    const hub = await startHubProcess({ HUB_SHUTDOWN_GRACE_MS: '5000', HUB_NO_WORKERS_MS: '0' });
    const status = async () => JSON.parse((await send(`${hub.url}/status`).reply).body.toString());
    const post = (path: string, body: string) =>
      send(`${hub.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });

    const inFlight = post('/service/a', '"held"');
    const job = JSON.parse((await send(`${hub.url}/service/a/jobs`).reply).body.toString());
    const queued = post('/service/b', '"queued"');
    const parkedPoll = send(`${hub.url}/service/c/jobs`);
    await until(async () => {
      const s = await status();
      return s.total.queued === 1 && s.total.waitingWorkers === 1;
    });

    hub.child.kill('SIGTERM');
    assert.equal((await parkedPoll.reply).status, 204);
    const turnedAway = await queued.reply;
    assert.equal(turnedAway.status, 503);
    assert.equal(turnedAway.headers['hub-error'], 'shutting_down');
    assert.equal((await send(`${hub.url}/readyz`).reply).status, 503);
    assert.equal((await post('/service/a', '1').reply).status, 503);

    assert.equal((await post(`/jobs/${job.id}`, '"finished"').reply).status, 200);
    const finished = await inFlight.reply;
    assert.equal(finished.status, 200);
    assert.equal(finished.body.toString(), '"finished"');
    assert.equal(await hub.exited, 0);
    assert.match(hub.stdout(), /stopped/);
  });

  test('[P-SHUTDOWN] SIGINT shuts down the same way', async () => {
    const hub = await startHubProcess();
    const parkedPoll = send(`${hub.url}/service/c/jobs`);
    await until(async () =>
      (await send(`${hub.url}/status`).reply).body.includes('"waitingWorkers":1'),
    );
    hub.child.kill('SIGINT');
    assert.equal((await parkedPoll.reply).status, 204);
    assert.equal(await hub.exited, 0);
  });

  // A grace period far longer than the test's own timeout: only the second
  // signal can end the process in time.
  test('[P-SHUTDOWN] a second signal during the grace period exits at once with code 1', {
    timeout: 30_000,
  }, async () => {
    const hub = await startHubProcess({ HUB_SHUTDOWN_GRACE_MS: '60000', HUB_NO_WORKERS_MS: '0' });
    // Its connection ends with the process; that is all this test knows of it.
    const held = send(`${hub.url}/service/a`, { method: 'POST', body: '1' }).reply.catch(
      () => undefined,
    );
    assert.equal((await send(`${hub.url}/service/a/jobs`).reply).status, 200);
    hub.child.kill('SIGTERM');
    // Not ready any more: the first signal has been handled.
    await until(async () => (await send(`${hub.url}/readyz`).reply).status === 503);
    hub.child.kill('SIGINT');
    assert.equal(await hub.exited, 1);
    await held;
  });

  test('[P-CONFIG] an invalid setting stops start-up with one line and exit code 2', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], { HUB_MAX_BODY_BYTES: 'lots' }, /HUB_MAX_BODY_BYTES/],
      [['--port', '70000'], {}, /--port/],
      [['--no-such-flag'], {}, /no-such-flag/],
      [[], { HUB_CALL_TIMEOUT_MS: '600000' }, /HUB_MAX_CALL_TIMEOUT_MS/],
      [
        ['--auth-file', '/no/such/tokens.json'],
        {},
        /^switchboard: Invalid --auth-file \(HUB_AUTH_FILE\)/,
      ],
      [
        ['--max-body-bytes', '-5'],
        {},
        /Invalid --max-body-bytes: expected a whole number from 1 to \d+, got '-5'/,
      ],
      [[], { HUB_AUTH_TOKENS: '{"tokens": []}' }, /HUB_AUTH_TOKENS/],
    ];
    for (const [args, env, mentions] of cases) {
      const run = runMain(args, env);
      assert.equal(await run.exited, 2, `${args.join(' ')} ${JSON.stringify(env)}`);
      const lines = run.stderr().trim().split('\n');
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0] ?? '', mentions);
    }
  });

  // Issue 12, item 4: a busy port printed listen EADDRINUSE and ten lines of stack.
  test('[P-CONFIG] a port already in use stops start-up with one line naming it, and exit code 6', async () => {
    const holder = await startServer(testConfig());
    try {
      const run = runMain(['--port', String(holder.port)]);
      assert.equal(await run.exited, 6, run.stderr());
      const lines = run.stderr().trim().split('\n');
      assert.equal(lines.length, 1, run.stderr());
      assert.match(
        lines[0] ?? '',
        new RegExp(`port ${holder.port} on 127\\.0\\.0\\.1 is already in use.*--port or PORT`),
      );
    } finally {
      await holder.close();
    }
  });

  test('[P-CONFIG] --help lists every flag with its environment variable and exits 0', async () => {
    const run = runMain(['--help']);
    assert.equal(await run.exited, 0);
    for (const name of ['--port', 'PORT', 'HUB_MAX_BODY_BYTES', 'HUB_SHUTDOWN_GRACE_MS']) {
      assert.ok(run.stdout().includes(name), name);
    }
  });
});

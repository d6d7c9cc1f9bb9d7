/**
 * Issue 12, item 1: the project's own clients against a hub with auth on. Each
 * takes a token; a refused token is a clear, final error, never a retry loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { HubClient, HubWorker, isHubClientError, serveFetch } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { recordingLogger } from '../support/logger.js';
import { runCli } from '../support/process.js';

const ADD_SH = fileURLToPath(new URL('../../examples/add.sh', import.meta.url));

const CALLER = 'caller-token-0123456789';
const WORKER = 'worker-token-0123456789';
const ADMIN = 'admin-token-0123456789';
const OTHER_WORKER = 'other-worker-0123456789';

const authTokens = JSON.stringify({
  tokens: [
    { name: 'gateway', token: CALLER, role: 'caller' },
    { name: 'adder', token: WORKER, role: 'worker', services: ['add', 'web'] },
    { name: 'other', token: OTHER_WORKER, role: 'worker', services: ['other'] },
    { name: 'ops', token: ADMIN, role: 'admin' },
  ],
});

describe('tokens in the SDK and the CLI', () => {
  let server: RunningServer;
  let hub: string;
  before(async () => {
    server = await startServer(testConfig({ authTokens }));
    hub = server.url;
  });
  after(() => server.close());

  for (const transport of ['http', 'ws'] as const) {
    test(`HubWorker, serveFetch and HubClient work against an auth-enabled hub with their tokens (transport ${transport})`, async () => {
      const worker = new HubWorker({
        url: hub,
        token: WORKER,
        services: 'add',
        transport,
        logger: false,
        handler: (job) => {
          const { first, second } = job.json<{ first: number; second: number }>();
          return { answer: first + second };
        },
      }).start();
      const web = serveFetch(() => new Response('hello'), {
        hub,
        token: WORKER,
        service: 'web',
        transport,
        logger: false,
      });
      try {
        const client = new HubClient({ url: hub, token: CALLER });
        const { body } = await client.call('add', { first: 40, second: 2 });
        assert.deepEqual(body, { answer: 42 });
        const page = await fetch(`${hub}/call/web/`, {
          headers: { authorization: `Bearer ${CALLER}` },
        });
        assert.equal(await page.text(), 'hello');
        const admin = new HubClient({ url: hub, token: ADMIN });
        assert.ok((await admin.status()).total.answered >= 2);
      } finally {
        await Promise.all([worker.stop(), web.stop()]);
      }
    });

    test(`a worker whose token is refused says so once and stops: closed rejects, no retry loop (transport ${transport})`, async () => {
      // No token at all is the newcomer's case: over a WebSocket the hub accepts the
      // upgrade (an auth frame could follow) and closes with 4401 on the serve.
      for (const [token, code] of [
        [undefined, 'unauthorized'],
        ['not-a-known-token-at-all', 'unauthorized'],
        [OTHER_WORKER, 'forbidden'],
      ] as const) {
        const { lines, logger } = recordingLogger();
        const worker = new HubWorker({
          url: hub,
          token,
          services: 'add',
          transport,
          logger,
          handler: () => 1,
        });
        worker.start();
        await assert.rejects(
          worker.closed,
          (error: unknown) => isHubClientError(error) && error.code === code,
        );
        // `ready` waits for the hub on both transports, so it settles as `closed`
        // does: nobody waits on a worker that stopped (issue 26, item 22).
        await assert.rejects(
          worker.ready,
          (error: unknown) => isHubClientError(error) && error.code === code,
        );
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0] ?? '', new RegExp(`^ERROR .*refused this worker.*${code}`));
        assert.doesNotMatch(lines[0] ?? '', /retrying with backoff/);
      }
    });
  }

  test('a HubClient with a refused token throws unauthorized or forbidden', async () => {
    for (const transport of ['http', 'ws'] as const) {
      await assert.rejects(
        new HubClient({ url: hub, transport }).call('add', {}),
        (error: unknown) => isHubClientError(error) && error.code === 'unauthorized',
        `no token, transport ${transport}`,
      );
    }
    await assert.rejects(
      new HubClient({ url: hub, token: 'not-a-known-token-at-all' }).call('add', {}),
      (error: unknown) => isHubClientError(error) && error.code === 'unauthorized',
    );
    await assert.rejects(
      new HubClient({ url: hub, token: CALLER }).status(),
      (error: unknown) => isHubClientError(error) && error.code === 'forbidden',
    );
  });

  test('call and status take --token or SWITCHBOARD_TOKEN; a refused one exits 5', async () => {
    const worker = new HubWorker({
      url: hub,
      token: WORKER,
      services: 'add',
      logger: false,
      handler: () => ({ answer: 3 }),
    }).start();
    try {
      const byFlag = runCli(['call', 'add', '{}', '--hub', hub, '--token', CALLER]);
      assert.equal(await byFlag.exited, 0, byFlag.stderr());
      assert.deepEqual(JSON.parse(byFlag.stdout()), { answer: 3 });
      const byEnv = runCli(['status', '--json', '--hub', hub], {
        env: { SWITCHBOARD_TOKEN: ADMIN },
      });
      assert.equal(await byEnv.exited, 0, byEnv.stderr());
      assert.equal(JSON.parse(byEnv.stdout()).ready, true);
      for (const transport of [[], ['--ws']]) {
        const none = runCli(['call', 'add', '{}', '--hub', hub, ...transport]);
        assert.equal(await none.exited, 5, none.stderr());
        assert.match(none.stderr(), /unauthorized.*SWITCHBOARD_TOKEN/);
      }
      const wrongRole = runCli(['status', '--hub', hub], { env: { SWITCHBOARD_TOKEN: CALLER } });
      assert.equal(await wrongRole.exited, 5);
      assert.match(wrongRole.stderr(), /forbidden/);
    } finally {
      await worker.stop();
    }
  });

  test('work with no token or a refused one exits 5 at once, instead of retrying for ever', async () => {
    for (const token of [undefined, 'not-a-known-token-at-all']) {
      for (const transport of ['--ws', '--http']) {
        const run = runCli(['work', 'add', transport, '--hub', hub, '--', ADD_SH], {
          env: token === undefined ? {} : { SWITCHBOARD_TOKEN: token },
        });
        const what = `token ${token}, ${transport}\n${run.stderr()}`;
        assert.equal(await run.exited, 5, what);
        assert.match(run.stderr(), /unauthorized/, what);
        assert.doesNotMatch(run.stderr(), /retrying with backoff|reconnected/, what);
        // Issue 26, item 28: one line a CLI user understands, the same on both
        // transports: no second line from the worker, no frames or close codes.
        const lines = run.stderr().trim().split('\n');
        assert.equal(lines.length, 1, what);
        assert.match(
          lines[0] ?? '',
          token === undefined
            ? /^switchboard: unauthorized: this hub needs a token, and none was sent \(check --token or SWITCHBOARD_TOKEN\)$/
            : /^switchboard: unauthorized: unknown token \(check --token or SWITCHBOARD_TOKEN\)$/,
          what,
        );
      }
    }
  });
});

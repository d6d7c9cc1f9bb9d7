/**
 * The hub's logs (docs/logs.md): JSON lines with pino, a level from LOG_LEVEL,
 * start-up and shutdown, WebSocket workers coming and going, redeliveries and
 * refusals, each line about a job with its job id and flow id; never a body or
 * a token.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HubStatus } from '../../src/protocol.js';
import { until } from '../support/http.js';
import { runMain, startHubProcess } from '../support/process.js';
import { WsClient } from '../support/ws.js';

const TOKEN = 'admin-SECRET-token-0123456789';
const BODY_MARKER = 'SECRET-BODY-MARKER';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

type Line = Record<string, unknown> & { level: number; msg: string };

const linesOf = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Line);

test('the hub logs JSON lines: start-up, WebSocket workers, redeliveries and refusals with job and flow ids, shutdown; never a body or a token', {
  timeout: 20_000,
}, async () => {
  const hub = await startHubProcess({
    LOG_LEVEL: 'debug',
    HUB_AUTH_TOKENS: JSON.stringify({ tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] }),
    HUB_LEASE_MS: '60000',
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    // A worker on a WebSocket takes a job, then its socket drops: the job is handed out again.
    const worker = await WsClient.open(hub.url, { token: TOKEN });
    worker.send({ type: 'serve', services: ['logged'], credit: 1, worker: 'logger-1' });
    await until(
      async () =>
        ((await (await fetch(`${hub.url}/status`, { headers: auth })).json()) as HubStatus)
          .parkedPolls === 1,
      { what: 'the socket to serve' },
    );
    const call = fetch(`${hub.url}/service/logged`, {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/json',
        'hub-timeout': '300',
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ secret: BODY_MARKER }),
    });
    await worker.next((f) => f.type === 'job');
    worker.socket.terminate();
    assert.equal((await call).status, 504);
    // A refusal: debug, with its code.
    await fetch(`${hub.url}/service/nobody-home`, {
      method: 'POST',
      headers: { ...auth, 'hub-timeout': '10' },
      body: BODY_MARKER,
    });
    await until(() => hub.stdout().includes('"outcome":"rejected"'), { what: 'the refusal line' });
    // An event's flowId is its job's flow id, in its log lines too ([P-EVENT-ROUTE]).
    await fetch(`${hub.url}/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name":"unserved","version":3,"id":"e","flowId":"event-flow-7","payload":{}}',
    });
    await until(() => hub.stdout().includes('event-flow-7'), { what: "the event's refusal line" });
  } finally {
    hub.child.kill('SIGTERM');
  }
  assert.equal(await hub.exited, 0);
  const lines = linesOf(hub.stdout());
  const find = (msg: RegExp) => lines.find((line) => msg.test(line.msg));

  const started = find(/listening on/);
  assert.equal(started?.level, 30);
  assert.equal(started?.auth, 'on');
  assert.ok(started?.limits, 'start-up names its limits');
  assert.equal(find(/WebSocket worker connected/)?.worker, 'logger-1');
  assert.equal(find(/WebSocket worker disconnected/)?.handedOn, 1);
  const redelivered = find(/handed out again/);
  assert.equal(redelivered?.flowId, TRACE_ID);
  assert.match(String(redelivered?.jobId), /^[\w-]{21}$/);
  const timedOut = lines.find((line) => line.outcome === 'timed_out');
  assert.deepEqual(
    [timedOut?.level, timedOut?.flowId, timedOut?.jobId],
    [20, TRACE_ID, redelivered?.jobId],
  );
  const refused = lines.find((line) => line.outcome === 'rejected');
  assert.deepEqual([refused?.code, refused?.service], ['no_workers', 'nobody-home']);
  assert.match(String(refused?.flowId), /^[0-9a-f]{32}$/);
  const event = lines.find((line) => line.outcome === 'rejected' && line.service === 'unserved.v3');
  assert.deepEqual([event?.code, event?.flowId], ['no_workers', 'event-flow-7']);
  assert.ok(find(/SIGTERM received/) && find(/stopped/), 'shutdown is logged');
  // Nothing per request at info; never a body or a token.
  assert.equal(lines.filter((line) => line.level === 30 && line.outcome !== undefined).length, 0);
  assert.doesNotMatch(hub.stdout(), new RegExp(`${BODY_MARKER}|${TOKEN}`));
});

test('at the default level (info) a call refused or timed out logs nothing', async () => {
  const hub = await startHubProcess();
  try {
    await fetch(`${hub.url}/service/quiet`, { method: 'POST', headers: { 'hub-timeout': '10' } });
  } finally {
    hub.child.kill('SIGTERM');
  }
  await hub.exited;
  assert.deepEqual(
    linesOf(hub.stdout()).map((line) => line.msg.replace(/ on http\S+.*/, '')),
    [
      'switchboard: listening',
      'switchboard: SIGTERM received, shutting down',
      'switchboard: stopped',
    ],
  );
});

test('a bad LOG_LEVEL is one line and exit 2', async () => {
  const run = runMain([], { LOG_LEVEL: 'loud' });
  assert.equal(await run.exited, 2);
  assert.match(run.stderr(), /LOG_LEVEL.*loud/);
});

// script(1), from util-linux, gives a process a pseudo-terminal.
const noScript = spawnSync('script', ['--version']).error
  ? 'no script(1) to give the hub a terminal'
  : undefined;

test('in a terminal the lines are pino-pretty, not JSON', {
  timeout: 15_000,
  skip: noScript,
}, async () => {
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  // script(1) gives the hub a pseudo-terminal as its stdout, as a person's shell would.
  const child = spawn(
    'script',
    ['-qfec', `${process.execPath} --import tsx ${main}`, '/dev/null'],
    { env: { ...process.env, PORT: '0', NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  await until(() => out.includes('listening on'), { timeoutMs: 10_000, what: 'the start-up line' });
  child.kill('SIGTERM');
  await once(child, 'exit');
  const line = out.split('\n').find((l) => l.includes('listening on')) ?? '';
  assert.match(line, /INFO.*switchboard: listening on http/);
  assert.doesNotMatch(line, /^\s*\{/);
});

/**
 * switchboard.v2 (issue 27, item 3): binary frames carry a body as its bytes,
 * after a JSON head and a newline, in all four directions; v1 stays as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { binaryFrame, splitBinaryFrame } from '../../src/protocol.js';
import { testConfig } from '../support/config.js';
import { send } from '../support/http.js';
import { authTokens, TOKENS } from '../support/tokens.js';

/** Not UTF-8 (0xff, a lone continuation byte), a NUL and a newline in the middle. */
const RAW = Buffer.from([0xff, 0x00, 0x0a, 0x80, 0x41, 0xc3]);
const EXACT = Buffer.from('{"id":12345678901234567890, "x":1.0}');

interface Message {
  readonly binary: boolean;
  readonly data: Buffer;
}

/** A raw client of one subprotocol: every message kept, binary or text. */
async function open(url: string, protocol: string, token?: string) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, [protocol], {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data, binary) => {
    messages.push({ binary, data: data as Buffer });
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const next = async (match: (m: Message) => boolean): Promise<Message> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const i = messages.findIndex(match);
      if (i >= 0) return messages.splice(i, 1)[0] as Message;
      if (Date.now() > deadline) throw new Error('no matching message');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { socket, next, closed };
}

const textType = (type: string) => (m: Message) =>
  !m.binary && (JSON.parse(String(m.data)) as { type?: string }).type === type;

function headOf(message: Message): Record<string, unknown> & { body: Buffer } {
  assert.equal(message.binary, true, 'a binary frame');
  const split = splitBinaryFrame(message.data);
  assert.ok(split, 'a head and a newline');
  return { ...(JSON.parse(split.head) as Record<string, unknown>), body: split.body };
}

/** The error code a refusal carries: an error frame's, or a response frame's body's. */
function codeOf(message: Message): string {
  if (message.binary) {
    const { body } = headOf(message);
    return (JSON.parse(String(body)) as { error: { code: string } }).error.code;
  }
  const frame = JSON.parse(String(message.data)) as {
    code?: string;
    d?: { error: { code: string } };
  };
  return frame.code ?? frame.d?.error.code ?? 'none';
}

let server: RunningServer;
before(async () => {
  server = await startServer(testConfig());
});
after(() => server.close());

describe('switchboard.v2 binary frames', () => {
  test('[P-WS-V2] the hub prefers v2 when offered both, and v1 when only v1 is offered', async () => {
    const both = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, [
      'switchboard.v1',
      'switchboard.v2',
    ]);
    await new Promise((resolve) => both.once('open', resolve));
    assert.equal(both.protocol, 'switchboard.v2');
    both.close();
    const v1 = await open(server.url, 'switchboard.v1');
    assert.equal(v1.socket.protocol, 'switchboard.v1');
    v1.socket.close();
  });

  test('[P-WS-V2] a job reaches a v2 worker as its bytes, and a binary answer reaches the HTTP caller as its bytes', async () => {
    const worker = await open(server.url, 'switchboard.v2');
    worker.socket.send(JSON.stringify({ type: 'serve', services: ['v2-raw'], credit: 1 }));
    await worker.next(textType('serving'));
    const called = send(`${server.url}/service/v2-raw`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: RAW,
    }).reply;
    const job = headOf(await worker.next((m) => m.binary));
    assert.equal(job.type, 'job');
    const wire = job.job as Record<string, unknown>;
    assert.equal(wire.contentType, 'application/octet-stream');
    assert.equal('originalRequest' in wire, false, 'the body is not in the head');
    assert.deepEqual(job.body, RAW);
    const head = { type: 'answer', id: wire.id, status: 201, contentType: 'application/x-raw' };
    worker.socket.send(binaryFrame(JSON.stringify(head), RAW));
    const reply = await called;
    assert.equal(reply.status, 201);
    assert.equal(reply.headers['content-type'], 'application/x-raw');
    assert.deepEqual(reply.body, RAW);
    worker.socket.close();
  });

  test('[P-WS-V2] a binary request frame reaches the worker as its bytes; the response comes back binary, JSON digits and all', async () => {
    const caller = await open(server.url, 'switchboard.v2');
    const head = {
      uid: 'b1',
      m: 'POST',
      r: '/service/v2-call',
      h: { 'content-type': 'application/json' },
    };
    caller.socket.send(binaryFrame(JSON.stringify(head), EXACT));
    const poll = await send(`${server.url}/service/v2-call/jobs?timeout=2000`).reply;
    const job = JSON.parse(poll.body.toString()) as { id: string };
    assert.ok(poll.body.toString().includes(`"originalRequest":${EXACT}`));
    await send(`${server.url}/jobs/${job.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: EXACT,
    }).reply;
    const response = headOf(await caller.next((m) => m.binary));
    assert.equal(response.uid, 'b1');
    assert.equal(response.c, 200);
    assert.equal((response.h as Record<string, string>)['content-type'], 'application/json');
    assert.equal('d' in response, false);
    assert.deepEqual(response.body, EXACT);
    caller.socket.close();
  });

  test('[P-WS-V2] a v2 socket still takes v1 text frames (a JSON d), and answers them binary', async () => {
    const caller = await open(server.url, 'switchboard.v2');
    caller.socket.send(JSON.stringify({ uid: 't1', m: 'GET', r: '/jobs/no-such-job' }));
    const response = headOf(await caller.next((m) => m.binary));
    assert.equal(response.c, 404);
    assert.equal(JSON.parse(String(response.body)).error.code, 'unknown_job');
    caller.socket.close();
  });

  test('[P-WS-V2] malformed binary frames are refused alone: no newline, a body field in the head, another frame type', async () => {
    const client = await open(server.url, 'switchboard.v2');
    const refusals = [
      Buffer.from('{"uid":"x","r":"/service/a"}'),
      binaryFrame('{"uid":"y","r":"/service/a","d64":"AA=="}', RAW),
      binaryFrame('{"type":"serve","services":["a"],"credit":1}', RAW),
      binaryFrame('not json', RAW),
    ];
    for (const frame of refusals) client.socket.send(frame);
    const codes: string[] = [];
    for (let i = 0; i < refusals.length; i++) codes.push(codeOf(await client.next(() => true)));
    assert.deepEqual(codes.sort(), [
      'invalid_frame',
      'invalid_frame',
      'invalid_frame',
      'invalid_json',
    ]);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    client.socket.close();
  });

  test('[P-WS-V2] a binary frame on a v1 socket closes it 1003', async () => {
    const client = await open(server.url, 'switchboard.v1');
    client.socket.send(binaryFrame('{"uid":"z","r":"/service/a"}', RAW));
    assert.equal(await client.closed, 1003);
  });

  test('[P-WS-AUTH] a binary frame before auth closes the socket 4401, unread', async () => {
    const authed = await startServer(testConfig({ authTokens }));
    try {
      const client = await open(authed.url, 'switchboard.v2');
      client.socket.send(
        binaryFrame(JSON.stringify({ type: 'auth', token: TOKENS.callerAdd }), RAW),
      );
      assert.equal(await client.closed, 4401);
    } finally {
      await authed.close();
    }
  });
});

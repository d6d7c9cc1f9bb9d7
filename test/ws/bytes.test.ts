/**
 * JSON bodies cross the WebSocket channel as their text, never parsed and
 * re-encoded (issue 27, item 3, for switchboard.v1 text frames): a big integer
 * and a `1.0` reach the other side as they were sent, in both directions.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send, until } from '../support/http.js';
import { isJob, jobOf, WsClient } from '../support/ws.js';

const EXACT = '{"id":12345678901234567890, "x":1.0}';

let server: RunningServer;
before(async () => {
  server = await startServer(testConfig());
});
after(() => server.close());

test("[P-WS-WORKER] an answer frame's JSON body reaches the HTTP caller byte for byte", async () => {
  const worker = await WsClient.open(server.url);
  worker.send({ type: 'serve', services: ['exact-answer'], credit: 1 });
  await worker.next((f) => f.type === 'serving');
  const called = send(`${server.url}/service/exact-answer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).reply;
  const job = jobOf(await worker.next(isJob));
  worker.send(`{"type":"answer","id":"${job.id}","body":${EXACT}}`);
  const reply = await called;
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), EXACT);
  await worker.close();
});

test("[P-WS-CALLER] a request frame's JSON body reaches the worker byte for byte, and the answer comes back so", async () => {
  const caller = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, ['switchboard.v1']);
  await new Promise((resolve) => caller.once('open', resolve));
  const texts: string[] = [];
  caller.on('message', (data) => texts.push(String(data)));
  caller.send(`{"uid":"u1","m":"POST","r":"/service/exact-call","d":${EXACT}}`);
  const poll = await send(`${server.url}/service/exact-call/jobs?timeout=2000`).reply;
  const jobText = poll.body.toString();
  assert.ok(jobText.includes(`"originalRequest":${EXACT}`), jobText);
  const { id } = JSON.parse(jobText) as { id: string };
  await send(`${server.url}/jobs/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: EXACT,
  }).reply;
  await until(() => texts.length > 0, { what: 'the response frame' });
  assert.ok(texts[0]?.endsWith(`"d":${EXACT}}`), texts[0]);
  caller.close();
});

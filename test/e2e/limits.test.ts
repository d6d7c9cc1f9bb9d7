import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { testConfig } from '../support/config.js';
import { send } from '../support/http.js';

/** Sends `chunks` with chunked transfer encoding (no Content-Length); resolves status and Hub-Error. */
function sendChunked(url: string, chunks: Buffer[]): Promise<{ status: number; code: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      agent: false,
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, code: response.headers['hub-error'] });
    });
    // The hub may answer 413 and close before every chunk is written: only a missing answer fails.
    request.on('error', () => {});
    request.on('close', () => reject(new Error('closed without a response')));
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('a real server: body limits, by Content-Length and by counting', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(testConfig({ maxBodyBytes: 1024 }));
  });
  after(() => server.close());

  test('[P-BODY-LIMIT] a declared Content-Length over the limit is 413 before the body is read', async () => {
    const reply = await send(`${server.url}/service/svc`, {
      method: 'POST',
      body: Buffer.alloc(2048, 0x61),
      headers: { 'content-type': 'text/plain' },
    }).reply;
    assert.equal(reply.status, 413);
    assert.equal(reply.headers['hub-error'], 'payload_too_large');
  });

  test('[P-BODY-LIMIT] a chunked body is counted as it streams and refused past the limit', async () => {
    const refused = await sendChunked(
      `${server.url}/service/svc`,
      Array.from({ length: 8 }, () => Buffer.alloc(512, 0x62)),
    );
    assert.deepEqual(refused, { status: 413, code: 'payload_too_large' });
    assert.equal((await server.hub.status()).total.calls, 0);
  });
});

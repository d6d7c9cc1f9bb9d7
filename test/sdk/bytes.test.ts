/**
 * One body, two transports (issue 27, item 3): over HTTP and over a WebSocket
 * (switchboard.v2 binary frames) the SDK gives a handler and a caller the same
 * `bytes`, `text()` and `json()`, a big integer's digits and bytes that are not
 * UTF-8 included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { HubClient, HubWorker, type ReceivedJob } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';

const BIG = '{"id":12345678901234567890, "x":1.0}';
/** Not UTF-8: a lone 0xff and a lone continuation byte, with a NUL and a newline. */
const RAW = new Uint8Array([0xff, 0x00, 0x0a, 0x80, 0x41]);

interface Seen {
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly json: unknown;
}

let server: RunningServer;
before(async () => {
  server = await startServer(testConfig());
});
after(() => server.close());

/** What a handler saw of each body, and what callers got back, over one transport. */
async function roundTrip(transport: 'http' | 'ws') {
  const service = `bytes-${transport}`;
  const seen: Seen[] = [];
  const look = (job: ReceivedJob): Seen => {
    let json: unknown;
    try {
      json = job.json();
    } catch (error) {
      json = `throws ${(error as Error).name}`;
    }
    return { bytes: new Uint8Array(job.body), text: job.text(), json };
  };
  const worker = new HubWorker({
    url: server.url,
    services: service,
    transport,
    logger: false,
    handler: (job) => {
      seen.push(look(job));
      // The caller's bytes back as they came, under the caller's own content type.
      return new Response(job.body, { headers: { 'content-type': job.contentType ?? '' } });
    },
  }).start();
  const client = new HubClient({ url: server.url, transport });
  try {
    await worker.ready;
    const big = await client.call(service, new TextEncoder().encode(BIG), {
      headers: { 'content-type': 'application/json' },
    });
    const raw = await client.call(service, RAW);
    return {
      handler: seen,
      caller: [big, raw].map((r) => ({ bytes: new Uint8Array(r.bytes), body: r.body })),
    };
  } finally {
    await client.close();
    await worker.stop();
  }
}

describe('the SDK gives the same bytes over HTTP and a WebSocket', () => {
  test('[P-WS-V2] bytes, text() and json() match across transports, exact to the byte', async () => {
    const overHttp = await roundTrip('http');
    const overWs = await roundTrip('ws');
    assert.deepEqual(overWs, overHttp);
    // And both are the caller's exact bytes, not a re-serialized value.
    const [big, raw] = overHttp.handler;
    assert.equal(big?.text, BIG);
    assert.deepEqual(big?.bytes, new TextEncoder().encode(BIG));
    assert.deepEqual(raw?.bytes, RAW);
    assert.deepEqual(overHttp.caller[0]?.bytes, new TextEncoder().encode(BIG));
    assert.deepEqual(overHttp.caller[1]?.bytes, RAW);
  });
});

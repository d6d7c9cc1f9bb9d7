/**
 * The SDK's events (docs/events-protocol.md): EventMux serving handlers by
 * name and version, EventClient sending to them, on each store and transport.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { startServer } from '../../src/http/server.js';
import { rawMembers } from '../../src/raw-json.js';
import {
  EventClient,
  EventError,
  EventMux,
  newError,
  newResponse,
  type ReceivedEvent,
} from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { needsRedis, REDIS_URL, testPrefix } from '../support/redis.js';

const STORES: { name: string; config: () => Partial<Config>; skip: string | false }[] = [
  { name: 'memory store', config: () => ({}), skip: false },
  {
    name: 'Redis store',
    config: () => ({ store: 'redis', redisUrl: REDIS_URL, redisPrefix: testPrefix() }),
    skip: needsRedis.skip,
  },
];

const TRANSPORTS = ['http', 'ws'] as const;

for (const store of STORES)
  for (const transport of TRANSPORTS)
    describe(`EventMux and EventClient (${store.name}, ${transport})`, { skip: store.skip }, () => {
      async function serving(t: import('node:test').TestContext, mux: EventMux) {
        const server = await startServer(testConfig(store.config()));
        t.after(() => server.close());
        const served = mux.serve({ hub: server.url, transport, logger: false });
        t.after(() => served.stop({ graceMs: 0 }));
        await served.ready;
        return { server, client: new EventClient({ hub: server.url }) };
      }

      test('[P-EVENT-ROUTE] an echo handler returns the payload byte for byte, big integers included, with the flowId', async (t) => {
        const mux = new EventMux().add('echo', 1, (e) => newResponse(e, e.payload));
        const { server, client } = await serving(t, mux);
        const sent =
          '{"name":"echo","version":1,"id":"e","flowId":"flow-echo","payload":{"n":65484548474984654,"f":1.50}}';
        const res = await fetch(`${server.url}/events`, {
          method: 'POST',
          body: sent,
          headers: { 'content-type': 'application/json' },
        });
        const text = await res.text();
        assert.equal(rawMembers(text).get('payload'), '{"n":65484548474984654,"f":1.50}');
        assert.equal(res.headers.get('hub-flow-id'), 'flow-echo');
        const answer = await client.send('echo', 1, { a: 1 }, { flowId: 'mine' });
        assert.equal(answer.name, 'echo:response');
        assert.equal(answer.flowId, 'mine');
        assert.deepEqual(answer.payload, { a: 1 });
      });

      test('[P-EVENT-CATALOGUE] serve() sends what mux.add was given; the catalogue lists it with the mux as its worker', async (t) => {
        const mux = new EventMux().add('echo', 3, (e) => newResponse(e, e.payload), {
          doc: 'Echoes.',
          output: { type: 'object' },
        });
        const server = await startServer(testConfig(store.config()));
        t.after(() => server.close());
        const served = mux.serve({ hub: server.url, transport, logger: false, id: 'echoer' });
        t.after(() => served.stop({ graceMs: 0 }));
        await served.ready;
        const entries = (await (await fetch(`${server.url}/events/docs.json`)).json()) as {
          service: string;
          doc?: string;
          output?: unknown;
          documentedBy?: string;
          workers: { id: string }[];
        }[];
        assert.deepEqual(
          entries.map((e) => [
            e.service,
            e.doc,
            e.output,
            e.documentedBy,
            e.workers.map((w) => w.id),
          ]),
          [['echo.v3', 'Echoes.', { type: 'object' }, 'echoer', ['echoer']]],
        );
      });

      test('[P-EVENT-VERSIONS] v1 and v2 side by side; a value returned is the payload; a version nobody serves throws no_workers at once', async (t) => {
        const mux = new EventMux()
          .add<{ first: number; second: number }>('add', 1, (e) => ({
            sum: e.payload.first + e.payload.second,
          }))
          .add<{ terms: number[] }>('add', 2, (e) => ({
            sum: e.payload.terms.reduce((a, b) => a + b, 0),
          }));
        const { client } = await serving(t, mux);
        assert.deepEqual((await client.send('add', 1, { first: 1, second: 2 })).payload, {
          sum: 3,
        });
        assert.deepEqual((await client.send('add', 2, { terms: [1, 2, 3] })).payload, { sum: 6 });
        await assert.rejects(
          client.send('add', 3, {}, { timeout: 30_000 }),
          (error: unknown) =>
            error instanceof EventError &&
            error.code === 'no_workers' &&
            error.message === 'Event not Found' &&
            JSON.stringify(error.event.payload).includes('[1,2]'),
        );
      });

      test('[P-EVENT-ERRORS] a handler that throws or answers newError sends an error event; the tracker sees start, error and end', async (t) => {
        const seen: string[] = [];
        const mux = new EventMux()
          .add('boom', 1, () => {
            throw new Error('it broke');
          })
          .add('refuse', 1, (e) => newError(e.flowId, 'not today', { origin: 'refuse' }));
        const server = await startServer(testConfig(store.config()));
        t.after(() => server.close());
        const served = mux.serve({
          hub: server.url,
          transport,
          logger: false,
          tracker: {
            start: (e: ReceivedEvent<unknown>) => seen.push(`start ${e.name}`),
            error: (e: ReceivedEvent<unknown>, error: unknown) =>
              seen.push(`error ${e.name} ${(error as Error).message}`),
            end: (e: ReceivedEvent<unknown>) => seen.push(`end ${e.name}`),
          },
        });
        t.after(() => served.stop({ graceMs: 0 }));
        await served.ready;
        const client = new EventClient({ hub: server.url });
        await assert.rejects(
          client.send('boom', 1, {}, { flowId: 'fb' }),
          (error: unknown) =>
            error instanceof EventError &&
            error.message === 'it broke' &&
            error.code === undefined &&
            error.event.flowId === 'fb',
        );
        await assert.rejects(
          client.send('refuse', 1, {}),
          (error: unknown) =>
            error instanceof EventError &&
            error.message === 'not today' &&
            error.event.metadata?.origin === 'refuse',
        );
        assert.deepEqual(seen, [
          'start boom',
          'error boom it broke',
          'end boom',
          'start refuse',
          'end refuse',
        ]);
      });
    });

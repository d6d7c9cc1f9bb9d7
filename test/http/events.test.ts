/**
 * The events envelope protocol over every channel and store
 * (docs/events-protocol.md): `POST /events` routed by name and version to the
 * workers of `<name>.v<version>`, answered as Go-Events' Mux answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { rawMembers } from '../../src/raw-json.js';
import { CHANNELS, HTTP_CHANNELS, type RequestTarget } from '../support/channels.js';
import { authTokens, TOKENS } from '../support/tokens.js';

type App = Pick<RequestTarget, 'request'>;

/** An event as Go-Events' clients read one. */
interface Event {
  name: string;
  version: number;
  id: string;
  flowId?: string;
  payload: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function envelope(fields: Partial<Record<keyof Event, unknown>> = {}): Record<string, unknown> {
  return {
    name: 'add',
    version: 1,
    id: crypto.randomUUID(),
    flowId: 'flow-1',
    payload: { first: 1, second: 2 },
    ...fields,
  };
}

function send(
  app: App,
  body: string | Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.request('/events', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * Go-Events' rule: 200, JSON, one event and a newline. A v1 text frame carries a
 * JSON body as its `d` value, which has no room for the newline: there, the event alone.
 */
async function eventWithNewline(
  res: Response,
  newline = true,
): Promise<{ event: Event; text: string }> {
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const end = newline ? '}\n' : '}';
  assert.ok(
    text.endsWith(end),
    `one event${newline ? ' and a newline' : ''}: ${JSON.stringify(text)}`,
  );
  assert.equal(text.indexOf('\n'), newline ? text.length - 1 : -1);
  return { event: JSON.parse(text) as Event, text };
}

/** A plain worker's one job of `service`, and the envelope's text as the caller sent it. */
async function takeEvent(app: App, service: string): Promise<{ job: WireJob; sent: string }> {
  const res = await app.request(`/service/${service}/jobs`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const job = JSON.parse(text) as WireJob;
  return { job, sent: rawMembers(text).get('originalRequest') ?? '' };
}

/** A response event, written by hand as a worker in any language would. */
function respond(app: App, job: WireJob, request: Event, payload: string) {
  const body = `{"name":"${request.name}:response","version":${request.version},"id":"${crypto.randomUUID()}","flowId":"${request.flowId}","payload":${payload}}`;
  return app.request(`/jobs/${job.id}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
}

/** Makes `service` known to have a worker, as a poll that found nothing does. */
async function serve(app: App, service: string): Promise<void> {
  assert.equal((await app.request(`/service/${service}/jobs?timeout=0`)).status, 204);
}

async function errorWithNewline(res: Response, code: string, newline = true): Promise<Event> {
  const { event } = await eventWithNewline(res, newline);
  assert.equal(res.headers.get('hub-error'), code);
  assert.equal(event.name, 'error');
  assert.equal(event.version, 1);
  assert.match(event.id, UUID);
  assert.equal(event.payload.code, code);
  assert.equal(typeof event.payload.message, 'string');
  return event;
}

for (const channel of CHANNELS)
  describe(`Events: POST /events, Go-Events' envelope (${channel.name})`, () => {
    const newline = !channel.name.includes('v1 text frames');
    const eventOf = (res: Response) => eventWithNewline(res, newline);
    const errorOf = (res: Response, code: string) => errorWithNewline(res, code, newline);
    test('[P-EVENT-ROUTE] an envelope reaches a worker of <name>.v<version> byte for byte, and its response event comes back byte for byte with a newline', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      const sent = `{"name":"add","version":1,"id":"e-1","flowId":"flow-big","payload":{"n":65484548474984654,"x":1.0},"metadata":{"origin":"test","n":65484548474984654}}`;
      const call = send(app, sent);
      const { job, sent: received } = await takeEvent(app, 'add.v1');
      assert.equal(received, sent);
      assert.equal(job.flowId, 'flow-big');
      const request = JSON.parse(sent) as Event;
      const payload = rawMembers(received).get('payload') ?? '';
      assert.equal((await respond(app, job, request, payload)).status, 200);
      const res = await call;
      const { event, text } = await eventOf(res);
      assert.equal(res.headers.get('hub-flow-id'), 'flow-big');
      assert.equal(res.headers.get('hub-error'), null);
      assert.equal(event.name, 'add:response');
      assert.equal(event.flowId, 'flow-big');
      assert.equal(rawMembers(text).get('payload'), '{"n":65484548474984654,"x":1.0}');
    });

    test('[P-EVENT-SCHEMA] each required field missing, or of the wrong type, is an error event naming the field', async (t) => {
      const app = await channel.open(t);
      const cases: [Record<string, unknown>, string][] = [
        [envelope({ name: undefined }), '/name'],
        [envelope({ name: 7 }), '/name'],
        [envelope({ name: '' }), '/name'],
        [envelope({ name: 'has space' }), '/name'],
        [envelope({ version: undefined }), '/version'],
        [envelope({ version: '1' }), '/version'],
        [envelope({ version: 0 }), '/version'],
        [envelope({ version: 1.5 }), '/version'],
        [envelope({ id: undefined }), '/id'],
        [envelope({ id: 3 }), '/id'],
        [envelope({ flowId: undefined }), '/flowId'],
        [envelope({ flowId: false }), '/flowId'],
        [envelope({ payload: undefined }), '/payload'],
        [envelope({ payload: 'text' }), '/payload'],
        [envelope({ payload: [1] }), '/payload'],
        [envelope({ payload: null }), '/payload'],
        [envelope({ metadata: 'm' }), '/metadata'],
      ];
      for (const [body, field] of cases) {
        const event = await errorOf(await send(app, body), 'invalid_event');
        assert.equal(event.payload.field, field, JSON.stringify(body));
        assert.match(String(event.payload.message), new RegExp(`^${field}: `));
        // The request's flowId, when it had a usable one.
        assert.equal(event.flowId, typeof body.flowId === 'string' ? body.flowId : undefined);
      }
    });

    test('[P-EVENT-SCHEMA] a body that is not an event at all gets an error event with no flowId', async (t) => {
      const app = await channel.open(t);
      for (const body of ['not json', '[1,2]', '"text"', '{']) {
        const event = await errorOf(await send(app, body), 'invalid_event');
        assert.equal(event.flowId, undefined);
      }
    });

    test('[P-EVENT-VERSIONS] v1 and v2 of one name go to their own workers; a version nobody serves is refused at once, naming those served', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      await serve(app, 'add.v2');
      const one = send(app, envelope({ version: 1, flowId: 'f1' }));
      const two = send(app, envelope({ version: 2, flowId: 'f2' }));
      const v2 = await takeEvent(app, 'add.v2');
      const v1 = await takeEvent(app, 'add.v1');
      assert.equal((JSON.parse(v2.sent) as Event).version, 2);
      assert.equal((JSON.parse(v1.sent) as Event).version, 1);
      await respond(app, v1.job, JSON.parse(v1.sent) as Event, '{"v":1}');
      await respond(app, v2.job, JSON.parse(v2.sent) as Event, '{"v":2}');
      assert.deepEqual((await eventOf(await one)).event.payload, { v: 1 });
      assert.deepEqual((await eventOf(await two)).event.payload, { v: 2 });

      const started = Date.now();
      const three = await errorOf(
        await send(app, envelope({ version: 3, flowId: 'f3' }), { 'hub-timeout': '30000' }),
        'no_workers',
      );
      assert.ok(Date.now() - started < 5000, 'refused at once, not at the deadline');
      assert.equal(three.payload.message, 'Event not Found');
      assert.deepEqual(three.payload.versions, [1, 2]);
      assert.equal(three.flowId, 'f3');
    });

    test(`[P-EVENT-UNKNOWN] an event nobody serves is Go-Events' 'Event not Found' with the request's flowId`, async (t) => {
      const app = await channel.open(t);
      const event = await errorOf(
        await send(app, envelope({ name: 'nobody', flowId: 'lost' })),
        'no_workers',
      );
      assert.equal(event.payload.message, 'Event not Found');
      assert.deepEqual(event.payload.versions, []);
      assert.equal(event.flowId, 'lost');
    });

    test("[P-EVENT-ERRORS] a worker's failure and a deadline are error events with the hub's codes", async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      const failing = send(app, envelope({ flowId: 'ff' }), { 'hub-max-attempts': '1' });
      const { job } = await takeEvent(app, 'add.v1');
      await app.request(`/jobs/${job.id}/fail`, {
        method: 'POST',
        body: JSON.stringify({ message: 'boom', retry: false }),
        headers: { 'content-type': 'application/json' },
      });
      const failed = await errorOf(await failing, 'worker_failed');
      assert.equal(failed.flowId, 'ff');

      const late = await errorOf(
        await send(app, envelope({ flowId: 'late' }), { 'hub-timeout': '50' }),
        'timeout',
      );
      assert.equal(late.flowId, 'late');
      // The job that timed out is dropped: nothing waits for it now.
      await app.request('/service/add.v1/jobs?timeout=0');
    });

    test('[P-EVENT-ERRORS] an answer that is not an event becomes an error event', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      const call = send(app, envelope());
      const { job } = await takeEvent(app, 'add.v1');
      await app.request(`/jobs/${job.id}`, { method: 'POST', body: 'plain text' });
      const event = await errorOf(await call, 'worker_failed');
      assert.match(String(event.payload.message), /not an event/);
    });

    for (const parallel of [false, true])
      test(`[P-EVENT-BATCH] a batch (parallel: ${parallel}) answers batch:response, one event per inner event in order; a bad one fails alone`, async (t) => {
        const app = await channel.open(t);
        await serve(app, 'add.v1');
        const batch = `{"name":"batch","version":1,"id":"b","flowId":"fb","payload":{"parallel":${parallel},"events":[{"name":"add","version":1,"id":"i1","flowId":"fi1","payload":{"n":65484548474984654}},{"name":"nobody","version":1,"id":"i2","flowId":"fi2","payload":{}},{"name":"add","version":"one","id":"i3","flowId":"fi3","payload":{}},{"name":"add","version":1,"id":"i4","flowId":"fi4","payload":{"n":2}}]}}`;
        const call = send(app, batch);
        const first = await takeEvent(app, 'add.v1');
        if (parallel) {
          // Both adds are out before either is answered.
          const second = await takeEvent(app, 'add.v1');
          for (const taken of [second, first]) {
            const request = JSON.parse(taken.sent) as Event;
            await respond(app, taken.job, request, rawMembers(taken.sent).get('payload') ?? '');
          }
        } else {
          // In order: the second add is not queued until the first is answered.
          assert.equal((await app.request('/service/add.v1/jobs?timeout=0')).status, 204);
          await respond(app, first.job, JSON.parse(first.sent) as Event, '{"n":65484548474984654}');
          const second = await takeEvent(app, 'add.v1');
          await respond(app, second.job, JSON.parse(second.sent) as Event, '{"n":2}');
        }
        const { event, text } = await eventOf(await call);
        assert.equal(event.name, 'batch:response');
        assert.equal(event.flowId, 'fb');
        const inner = (event.payload as { events: Event[] }).events;
        assert.deepEqual(
          inner.map((e) => [e.name, e.flowId, e.payload.code]),
          [
            ['add:response', 'fi1', undefined],
            ['error', 'fi2', 'no_workers'],
            ['error', 'fi3', 'invalid_event'],
            ['add:response', 'fi4', undefined],
          ],
        );
        assert.ok(text.includes('{"n":65484548474984654}'), 'big integers survive the batch');
      });

    test('[P-EVENT-BATCH] with an Idempotency-Key, each inner event has a key of its own: two alike are two calls, and the batch again replays both', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      const batch = `{"name":"batch","version":1,"id":"b","flowId":"fb","payload":{"events":[{"name":"add","version":1,"id":"i1","flowId":"f1","payload":{"n":1}},{"name":"add","version":1,"id":"i2","flowId":"f2","payload":{"n":2}}]}}`;
      const key = { 'idempotency-key': 'batch-key' };
      const call = send(app, batch, key);
      for (const n of [1, 2]) {
        const taken = await takeEvent(app, 'add.v1');
        assert.equal(rawMembers(taken.sent).get('payload'), `{"n":${n}}`);
        await respond(app, taken.job, JSON.parse(taken.sent) as Event, `{"n":${n}}`);
      }
      const payloads = async (res: Response) =>
        ((await eventOf(res)).event.payload as { events: Event[] }).events.map((e) => e.payload);
      assert.deepEqual(await payloads(await call), [{ n: 1 }, { n: 2 }]);
      // The same batch and key again: both answers replayed, no new job.
      assert.deepEqual(await payloads(await send(app, batch, key)), [{ n: 1 }, { n: 2 }]);
      assert.equal((await app.request('/service/add.v1/jobs?timeout=0')).status, 204);
    });

    test('[P-EVENT-BATCH] a batch past 100 events, or holding a batch, is refused', async (t) => {
      const app = await channel.open(t);
      const many = Array.from({ length: 101 }, () => envelope());
      const tooMany = await errorOf(
        await send(app, envelope({ name: 'batch', payload: { events: many } })),
        'invalid_event',
      );
      assert.equal(tooMany.payload.field, '/payload/events');
      const nested = await eventOf(
        await send(
          app,
          envelope({
            name: 'batch',
            payload: { events: [envelope({ name: 'batch', payload: { events: [] } })] },
          }),
        ),
      );
      const inner = (nested.event.payload as { events: Event[] }).events;
      assert.equal(inner[0]?.payload.code, 'invalid_event');
    });

    test('[P-EVENT-PUBLISH] POST /events?publish puts the envelope, byte for byte, on the topic of its name and answers <name>:published with its id', async (t) => {
      const app = await channel.open(t);
      const sent = `{"name":"user.created","version":2,"id":"u1","flowId":"fp","payload":{"n":65484548474984654}}`;
      const res = await send(app, sent);
      // Without ?publish it is a call nobody serves…
      assert.equal((await eventOf(res)).event.payload.code, 'no_workers');
      // …with it, a message for subscribers.
      const published = await app.request('/events?publish', {
        method: 'POST',
        body: sent,
        headers: { 'content-type': 'application/json' },
      });
      const { event } = await eventOf(published);
      assert.equal(event.name, 'user.created:published');
      assert.equal(event.version, 2);
      assert.equal(event.flowId, 'fp');
      assert.deepEqual(event.payload, { topic: 'user.created', id: 0 });
      assert.equal(published.headers.get('hub-message-id'), '0');
      const pulled = (await (await app.request('/topics/user.created?after=-1')).json()) as {
        payload: string;
      };
      assert.equal(Buffer.from(pulled.payload, 'base64').toString(), sent);
      const bad = await app.request('/events?publish', {
        method: 'POST',
        body: '{"name":"x","version":1}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal((await errorOf(bad, 'invalid_event')).payload.field, '/id');
    });

    test('[P-EVENT-CLOUDEVENTS] a CloudEvent (application/cloudevents+json) is routed as the envelope it maps to: type, eventversion, flowid, data byte for byte, source/id/time as metadata', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v2');
      const call = app.request('/events', {
        method: 'POST',
        body: '{"specversion":"1.0","type":"add","source":"/shop","id":"ce-1","time":"2026-12-07T20:00:00Z","eventversion":2,"flowid":"ce-flow","datacontenttype":"application/json","data":{"n":65484548474984654}}',
        headers: { 'content-type': 'application/cloudevents+json' },
      });
      const { job, sent } = await takeEvent(app, 'add.v2');
      assert.equal(
        sent,
        '{"name":"add","version":2,"id":"ce-1","flowId":"ce-flow","payload":{"n":65484548474984654},"metadata":{"origin":"/shop","originId":"ce-1","timestamp":"2026-12-07T20:00:00Z"}}',
      );
      assert.equal(job.flowId, 'ce-flow');
      await respond(app, job, JSON.parse(sent) as Event, '{"ok":true}');
      const { event } = await eventOf(await call);
      assert.equal(event.name, 'add:response');
      assert.equal(event.flowId, 'ce-flow');

      const cases: [Record<string, unknown>, string][] = [
        [{ specversion: '1.0', type: 'add', id: 'x', data: {} }, '/source'],
        [{ specversion: '0.3', type: 'add', source: 's', id: 'x', data: {} }, '/specversion'],
        [{ specversion: '1.0', type: 'add', source: 's', id: 'x', data_base64: 'AA==' }, '/data'],
        [
          { specversion: '1.0', type: 'add', source: 's', id: 'x', data: {}, eventversion: 0 },
          '/eventversion',
        ],
      ];
      for (const [body, field] of cases) {
        const res = await app.request('/events', {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/cloudevents+json' },
        });
        assert.equal(
          (await errorOf(res, 'invalid_event')).payload.field,
          field,
          JSON.stringify(body),
        );
      }
    });

    test('[P-EVENT-ASYNC] Prefer: respond-async answers 202 with where to ask; the job then answers the response event', async (t) => {
      const app = await channel.open(t);
      await serve(app, 'add.v1');
      const res = await send(app, envelope({ flowId: 'fa' }), { prefer: 'respond-async' });
      assert.equal(res.status, 202);
      const location = res.headers.get('location') ?? '';
      assert.match(location, /^\/jobs\//);
      const { job, sent } = await takeEvent(app, 'add.v1');
      await respond(app, job, JSON.parse(sent) as Event, '{"sum":3}');
      // The lookup gives the worker's answer as it sent it.
      const looked = await app.request(`${location}?wait=5000`);
      assert.equal(looked.status, 200);
      const event = (await looked.json()) as Event;
      assert.equal(event.name, 'add:response');
      assert.deepEqual(event.payload, { sum: 3 });
    });
  });

/** The catalogue's entry, as `GET /events/docs.json` lists it. */
interface CatalogueEntry {
  name: string;
  version: number;
  service: string;
  workers: { id: string }[];
  since?: string;
  documentedBy?: string;
  doc?: string;
  input?: unknown;
  output?: unknown;
  example?: unknown;
}

for (const channel of CHANNELS)
  describe(`Events: the live catalogue (${channel.name})`, () => {
    test('[P-EVENT-CATALOGUE] GET /events/docs.json lists every (name, version) served now, by whom and since when, with what its worker documented', async (t) => {
      const app = await channel.open(t);
      const before = Date.now();
      const documented = await app.request('/events/docs', {
        method: 'PUT',
        body: JSON.stringify([
          {
            name: 'add',
            version: 1,
            doc: 'Adds two numbers.',
            input: { type: 'object', required: ['first', 'second'] },
            output: { type: 'object' },
            example: { request: { first: 1, second: 2 }, response: { sum: 3 } },
          },
          { name: 'gone', version: 1, doc: 'Nobody serves this one now.' },
        ]),
        headers: { 'content-type': 'application/json', 'hub-worker': 'adder-1' },
      });
      assert.equal(documented.status, 204, await documented.text());
      await app.request('/service/add.v1/jobs?timeout=0', { headers: { 'hub-worker': 'adder-1' } });
      await app.request('/service/add.v2/jobs?timeout=0', { headers: { 'hub-worker': 'adder-2' } });
      await app.request('/service/plain/jobs?timeout=0');
      const res = await app.request('/events/docs.json');
      assert.equal(res.status, 200);
      const entries = (await res.json()) as CatalogueEntry[];
      assert.deepEqual(
        entries.map((e) => [e.name, e.version, e.service, e.workers.map((w) => w.id)]),
        [
          ['add', 1, 'add.v1', ['adder-1']],
          ['add', 2, 'add.v2', ['adder-2']],
        ],
      );
      const [one, two] = entries;
      assert.equal(one?.doc, 'Adds two numbers.');
      assert.deepEqual(one?.input, { type: 'object', required: ['first', 'second'] });
      assert.deepEqual(one?.example, { request: { first: 1, second: 2 }, response: { sum: 3 } });
      assert.equal(one?.documentedBy, 'adder-1');
      assert.ok(Date.parse(one?.since ?? '') >= before - 1000, 'since: when it was documented');
      assert.equal(two?.doc, undefined);
      assert.equal(two?.since, undefined);
    });

    test('[P-EVENT-CATALOGUE] the catalogue keeps 16 MiB of documentation in all: past it, 503 too_many_services', {
      // The budget is the store's (test/store/event-doc-contract.ts); this checks the hub sets it, on each store.
      skip: !channel.name.startsWith('Hono app') && 'checked with the Hono app on each store',
    }, async (t) => {
      const app = await channel.open(t);
      const doc = 'x'.repeat(60_000);
      let kept = 0;
      let refused: Response | undefined;
      // 16 docs of 60 kB a request stay under the 1 MiB body limit; 16 MiB is about 279 of them.
      for (let request = 0; request < 20 && !refused; request++) {
        const entries = Array.from({ length: 16 }, (_, i) => ({
          name: `big${request * 16 + i}`,
          version: 1,
          doc,
        }));
        const res = await app.request('/events/docs', {
          method: 'PUT',
          body: JSON.stringify(entries),
          headers: { 'content-type': 'application/json' },
        });
        if (res.status === 204) kept += entries.length;
        else refused = res;
      }
      assert.ok(refused, 'a request past 16 MiB is refused');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('hub-error'), 'too_many_services');
      assert.ok(kept > 256 && kept < 280, `kept ${kept} docs of 60 kB before the refusal`);
    });

    test('[P-EVENT-CATALOGUE] PUT /events/docs refuses what is not a list of event docs', async (t) => {
      const app = await channel.open(t);
      const put = (body: string) =>
        app.request('/events/docs', {
          method: 'PUT',
          body,
          headers: { 'content-type': 'application/json' },
        });
      const huge = JSON.stringify([
        { name: 'small', version: 1, doc: 'fits' },
        { name: 'add', version: 1, doc: 'x'.repeat(70 * 1024) },
      ]);
      const tooLarge = await put(huge);
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.headers.get('hub-error'), 'payload_too_large');
      // Nothing of a refused request is kept.
      await app.request('/service/small.v1/jobs?timeout=0');
      const listed = (await (await app.request('/events/docs.json')).json()) as CatalogueEntry[];
      assert.deepEqual(
        listed.map((e) => [e.service, e.doc]),
        [['small.v1', undefined]],
      );
      for (const [body, code] of [
        ['not json', 'invalid_json'],
        ['{"name":"add"}', 'invalid_event'],
        ['[{"name":"add","version":0}]', 'invalid_event'],
        ['[{"name":"a b","version":1}]', 'invalid_event'],
      ] as const) {
        const res = await put(body);
        assert.equal(res.status, 400, body);
        assert.equal(res.headers.get('hub-error'), code, body);
      }
    });
  });

for (const channel of HTTP_CHANNELS)
  describe(`Events: tokens (${channel.name})`, () => {
    test('[P-EVENT-AUTH] an event needs a caller token whose services list <name>.v<version>', async (t) => {
      const app = await channel.open(t, { authTokens });
      const bearer = { authorization: `Bearer ${TOKENS.callerAdd}` };
      assert.equal((await send(app, envelope())).status, 401);
      const refused = await errorWithNewline(await send(app, envelope(), bearer), 'forbidden');
      assert.match(String(refused.payload.message), /add\.v1/);
      // Documenting an event is a worker's act, for its own services.
      const docs = JSON.stringify([{ name: 'add', version: 1, doc: 'x' }]);
      const worker = { authorization: `Bearer ${TOKENS.workerAdd}` };
      const put = await app.request('/events/docs', { method: 'PUT', body: docs, headers: worker });
      assert.equal(put.status, 403);
      assert.equal(put.headers.get('hub-error'), 'forbidden');
      const listed = await app.request('/events/docs.json', { headers: worker });
      assert.equal(listed.status, 200);
      assert.equal((await app.request('/events/docs.json')).status, 401);
      // Publishing an event needs the topic in the token's publish list.
      const publish = (name: string) =>
        app.request('/events?publish', {
          method: 'POST',
          body: JSON.stringify(envelope({ name })),
          headers: { 'content-type': 'application/json', ...bearer },
        });
      assert.equal((await errorWithNewline(await publish('audit'), 'forbidden')).name, 'error');
      const allowed = await eventWithNewline(await publish('orders'));
      assert.equal(allowed.event.name, 'orders:published');
    });
  });

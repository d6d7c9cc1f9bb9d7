import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireJob } from '../../src/protocol.js';
import { CHANNELS, type RequestTarget } from '../support/channels.js';
import { until } from '../support/http.js';

type App = Pick<RequestTarget, 'request'>;

async function takeJob(app: App, service = 'add'): Promise<WireJob> {
  const res = await app.request(`/service/${service}/jobs`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  return (await res.json()) as WireJob;
}

function answer(
  app: App,
  id: string,
  body: NonNullable<RequestInit['body']> | null,
  headers: Record<string, string> = {},
) {
  return app.request(`/jobs/${id}`, { method: 'POST', body, headers });
}

for (const channel of CHANNELS)
  describe(`HTTP round trip: POST /service/:name, GET /service/:name/jobs, POST /jobs/:id (${channel.name})`, () => {
    test('[P-JOB-SHAPE] a JSON call reaches the worker as a JSON value and the answer comes back byte for byte', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', {
        method: 'POST',
        body: '{"first": 1, "second": 2}',
        headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
      });
      const job = await takeJob(app);
      assert.match(job.id, /^[A-Za-z0-9_-]{21}$/);
      assert.equal(job.service, 'add');
      assert.equal(job.attempt, 1);
      assert.equal(typeof job.deadline, 'number');
      assert.deepEqual(job.originalRequest, { first: 1, second: 2 });
      assert.equal(job.encoding, undefined);
      assert.equal(job.contentType, 'application/json');
      assert.equal(job.headers['x-request-id'], 'r-1');

      const res = await answer(app, job.id, '{"answer":3}', { 'content-type': 'application/json' });
      assert.equal(res.status, 200);
      const reply = await call;
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('content-type'), 'application/json');
      assert.equal(await reply.text(), '{"answer":3}');
    });

    test('[P-JOB-SHAPE] a body with no content type must be JSON and travels as JSON', async (t) => {
      const app = await channel.open(t);
      // A string body would get text/plain from fetch; bytes go out with no content type.
      const call = app.request('/service/add', { method: 'POST', body: Buffer.from('[1,2]') });
      const job = await takeJob(app);
      assert.deepEqual(job.originalRequest, [1, 2]);
      assert.equal(job.contentType, undefined);
      await answer(app, job.id, 'done', { 'content-type': 'text/plain' });
      assert.equal(await (await call).text(), 'done');
    });

    test('[P-JOB-SHAPE] a +json media type with parameters counts as JSON', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', {
        method: 'POST',
        body: '{"a":true}',
        headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
      });
      const job = await takeJob(app);
      assert.deepEqual(job.originalRequest, { a: true });
      await answer(app, job.id, null);
      await call;
    });

    test('[P-JOB-SHAPE] an empty body travels as null', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST' });
      const job = await takeJob(app);
      assert.equal(job.originalRequest, null);
      await answer(app, job.id, null);
      assert.equal((await call).status, 200);
    });

    test('[P-BINARY] a non-JSON body travels as base64 with its content type, losslessly', async (t) => {
      const app = await channel.open(t);
      const bytes = Buffer.from([0, 1, 2, 255, 254, 0x7b]);
      const call = app.request('/service/img', {
        method: 'POST',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      });
      const job = await takeJob(app, 'img');
      assert.equal(job.encoding, 'base64');
      assert.equal(job.contentType, 'application/octet-stream');
      assert.deepEqual(Buffer.from(job.originalRequest as string, 'base64'), bytes);

      const reply = Buffer.from([255, 0, 10, 13, 128]);
      await answer(app, job.id, reply, { 'content-type': 'image/png' });
      const res = await call;
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), reply);
    });

    test('[P-HUB-STATUS] Hub-Status sets the status the caller gets', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST', body: '{}' });
      const job = await takeJob(app);
      await answer(app, job.id, '{"error":"nope"}', {
        'hub-status': '422',
        'content-type': 'application/json',
      });
      const res = await call;
      assert.equal(res.status, 422);
      assert.equal(res.headers.get('hub-error'), null, 'a worker error is not a hub error');
      assert.equal(await res.text(), '{"error":"nope"}');
    });

    test('[P-HUB-STATUS] an invalid Hub-Status is 400 invalid_status and the job stays answerable', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST', body: '{}' });
      const job = await takeJob(app);
      for (const status of ['abc', '99', '1000', '600', '100', '2OO', '']) {
        const res = await answer(app, job.id, 'x', { 'hub-status': status });
        assert.equal(res.status, 400, `Hub-Status '${status}'`);
        assert.equal(res.headers.get('hub-error'), 'invalid_status');
      }
      await answer(app, job.id, 'fine');
      assert.equal(await (await call).text(), 'fine');
    });

    test('[P-ALIAS] POST /jobs/:id/response answers like POST /jobs/:id', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST', body: '{}' });
      const job = await takeJob(app);
      const res = await app.request(`/jobs/${job.id}/response`, {
        method: 'POST',
        body: 'via alias',
      });
      assert.equal(res.status, 200);
      assert.equal(await (await call).text(), 'via alias');
    });

    test('[P-FORWARD] only safe request headers reach the worker', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', {
        method: 'POST',
        body: '{}',
        headers: {
          authorization: 'Bearer secret',
          cookie: 'session=1',
          'hub-timeout': '1000',
          'proxy-authorization': 'x',
          'x-trace': 't',
          accept: 'application/json',
        },
      });
      const job = await takeJob(app);
      // Whatever else the client adds (fetch adds user-agent, accept-language...),
      // credentials and the hub's own headers never reach the worker.
      for (const name of ['authorization', 'cookie', 'hub-timeout', 'proxy-authorization']) {
        assert.equal(job.headers[name], undefined, name);
      }
      assert.equal(job.headers['x-trace'], 't');
      assert.equal(job.headers.accept, 'application/json');
      await answer(app, job.id, null);
      await call;
    });

    test('[P-ANSWER-ONCE] answering twice gets 409 already_answered; an unknown id gets 404 unknown_job', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST', body: '{}' });
      const job = await takeJob(app);
      assert.equal((await answer(app, job.id, 'first')).status, 200);
      const again = await answer(app, job.id, 'second');
      assert.equal(again.status, 409);
      assert.equal(again.headers.get('hub-error'), 'already_answered');
      assert.equal(await (await call).text(), 'first');
      const unknown = await answer(app, 'x'.repeat(21), 'late');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers.get('hub-error'), 'unknown_job');
    });

    test('[P-TIMEOUT] a call past its Hub-Timeout gets 504 timeout and a later answer gets 410 caller_gone', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', {
        method: 'POST',
        body: '{}',
        headers: { 'hub-timeout': '50' },
      });
      const job = await takeJob(app);
      const res = await call;
      assert.equal(res.status, 504);
      assert.equal(res.headers.get('hub-error'), 'timeout');
      const late = await answer(app, job.id, 'late');
      assert.equal(late.status, 410);
      assert.equal(late.headers.get('hub-error'), 'caller_gone');
    });

    // Issue 12, item 6: a quick-start call waited 30 s for a 504 that did not say why.
    test('[P-TIMEOUT] the 504 says which case it was: never taken (and when a worker was last seen), or taken and not answered', async (t) => {
      const app = await channel.open(t, { noWorkersMs: 10_000 });
      const message = async (res: Response) => {
        assert.equal(res.status, 504);
        return ((await res.json()) as { error: { message: string } }).error.message;
      };
      const post = (service: string, headers: Record<string, string> = {}) =>
        app.request(`/service/${service}`, {
          method: 'POST',
          body: '{}',
          headers: { 'hub-timeout': '50', ...headers },
        });
      // No worker ever: parked only because the caller asked for it.
      assert.match(
        await message(await post('nobody', { 'hub-no-workers': 'queue' })),
        /^no worker took the job within the call's 50 ms deadline; no worker of 'nobody' was seen recently$/,
      );
      // A worker polled a moment ago and went away: the call parks, and the 504 says when.
      assert.equal((await app.request('/service/gone/jobs?timeout=0')).status, 204);
      assert.match(
        await message(await post('gone')),
        /^no worker took the job within the call's 50 ms deadline; a worker of 'gone' was last seen \d+ ms ago$/,
      );
      // Taken by a worker that never answered. The poll is parked first: a call that
      // arrived before it, over a network, would find no worker (no_workers).
      const polled = takeJob(app);
      await until(
        async () => {
          const status = (await (await app.request('/status')).json()) as {
            services: { service: string; waitingWorkers: number }[];
          };
          return status.services.some((s) => s.service === 'add' && s.waitingWorkers > 0);
        },
        { what: 'the poll parked' },
      );
      const taken = post('add');
      await polled;
      assert.match(
        await message(await taken),
        /^a worker of 'add' took the job but did not answer within the call's 50 ms deadline$/,
      );
    });

    test('[P-POLL-TIMEOUT] a poll that ends without a job is 204 with no body; ?timeout works like Hub-Timeout', async (t) => {
      const app = await channel.open(t);
      const byQuery = await app.request('/service/add/jobs?timeout=10');
      assert.equal(byQuery.status, 204);
      assert.equal(await byQuery.text(), '');
      const byHeader = await app.request('/service/add/jobs', { headers: { 'hub-timeout': '0' } });
      assert.equal(byHeader.status, 204);
    });
  });

for (const channel of CHANNELS)
  describe(`POST /jobs/:id?next=<service> - answer and take the next job in one exchange (${channel.name})`, () => {
    test('[P-ANSWER-NEXT] the answer reaches its caller and the response is the next job', async (t) => {
      const app = await channel.open(t);
      const first = app.request('/service/add', { method: 'POST', body: Buffer.from('1') });
      const job = await takeJob(app);
      const second = app.request('/service/add', { method: 'POST', body: Buffer.from('2') });
      await new Promise((resolve) => setImmediate(resolve));
      const res = await answer(app, job.id, 'one', {});
      assert.equal(res.status, 200, 'plain answer');
      assert.equal(await (await first).text(), 'one');

      const third = app.request('/service/add', { method: 'POST', body: Buffer.from('3') });
      const next = (await takeJob(app)).id;
      const combined = await app.request(`/jobs/${next}?next=add&timeout=0`, {
        method: 'POST',
        body: 'two',
      });
      assert.equal(combined.status, 200);
      const following = (await combined.json()) as WireJob;
      assert.equal(following.originalRequest, 3);
      assert.equal(await (await second).text(), 'two');
      const last = await app.request(`/jobs/${following.id}?next=add&timeout=0`, {
        method: 'POST',
        body: 'three',
      });
      assert.equal(last.status, 204, 'nothing left to take');
      assert.equal(await (await third).text(), 'three');
    });

    test('[P-ANSWER-NEXT] a malformed next or timeout is refused before the answer is handed over', async (t) => {
      const app = await channel.open(t);
      const call = app.request('/service/add', { method: 'POST', body: Buffer.from('1') });
      const job = await takeJob(app);
      for (const query of [
        'next=bad%20name',
        'next=add&timeout=-1',
        'next=add&encoding=hex',
        'next=add&max=5',
        // Issue 12, item 8: ?max without ?next was accepted and ignored.
        'max=2',
      ]) {
        const res = await app.request(`/jobs/${job.id}?${query}`, { method: 'POST', body: 'x' });
        assert.equal(res.status, 400, query);
        if (query.includes('max')) assert.equal(res.headers.get('hub-error'), 'invalid_batch');
      }
      assert.equal((await answer(app, job.id, 'fine')).status, 200, 'the job was still unanswered');
      assert.equal(await (await call).text(), 'fine');
      const again = await app.request(`/jobs/${job.id}?next=add&timeout=0`, {
        method: 'POST',
        body: 'x',
      });
      assert.equal(again.status, 409, 'a refused answer takes nothing');
    });
  });

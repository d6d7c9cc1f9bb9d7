import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { HubClient, HubWorker, type WorkerLogger } from '../../src/sdk/index.js';
import { testConfig } from '../support/config.js';
import { until } from '../support/http.js';

function recordingLogger(): WorkerLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Runs a test against a fresh hub; every worker it tracks is stopped even if the test fails. */
async function withHub(
  run: (
    server: RunningServer,
    client: HubClient,
    track: (worker: HubWorker) => HubWorker,
  ) => Promise<void>,
  config: Partial<Config> = {},
): Promise<void> {
  const server = await startServer(testConfig(config));
  const workers: HubWorker[] = [];
  try {
    await run(server, new HubClient({ url: server.url }), (worker) => {
      workers.push(worker);
      return worker;
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
    await server.close();
  }
}

for (const transport of ['http', 'ws'] as const)
  describe(`HubWorker (transport ${transport})`, () => {
    test('answers every call with its handler, running `concurrency` handlers at once', () =>
      withHub(async (server, client, track) => {
        let running = 0;
        let most = 0;
        const fourRunning = deferred();
        const worker = track(
          new HubWorker({
            transport,
            url: server.url,
            services: 'add',
            concurrency: 4,
            logger: false,
            handler: async (job) => {
              running++;
              most = Math.max(most, running);
              if (running === 4) fourRunning.resolve();
              // Released as soon as four run at once; the 500 ms bound only stops a regression from hanging.
              await Promise.race([fourRunning.promise, new Promise((r) => setTimeout(r, 500))]);
              running--;
              const { first, second } = job.json<{ first: number; second: number }>();
              return { answer: first + second };
            },
          }).start(),
        );
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => client.call('add', { first: i, second: 100 })),
        );
        assert.deepEqual(
          results.map((r) => (r.body as { answer: number }).answer),
          Array.from({ length: 12 }, (_, i) => i + 100),
        );
        assert.equal(most, 4);
        await worker.stop();
      }));

    test('a handler that throws answers 500 with a worker_error body, and the worker goes on', () =>
      withHub(async (server, client, track) => {
        const worker = track(
          new HubWorker({
            transport,
            url: server.url,
            services: 'flaky',
            logger: false,
            handler: (job) => {
              if (job.json() === 'boom') throw new Error('kaboom');
              return 'fine';
            },
          }).start(),
        );
        const failed = await client.call('flaky', 'boom');
        assert.equal(failed.status, 500);
        assert.equal(failed.headers.get('hub-error'), null, 'a worker failure is not a hub error');
        assert.deepEqual(failed.body, { error: { code: 'worker_error', message: 'kaboom' } });
        assert.equal((await client.call('flaky', 'ok')).body, 'fine');
        await worker.stop();
      }));

    test('serves several services from one worker', () =>
      withHub(async (server, client, track) => {
        const worker = track(
          new HubWorker({
            transport,
            url: server.url,
            services: ['a', 'b'],
            logger: false,
            handler: (job) => job.service,
          }).start(),
        );
        assert.deepEqual(
          (await Promise.all([client.call('a'), client.call('b')])).map((r) => r.body),
          ['a', 'b'],
        );
        await worker.stop();
      }));

    test('recovers by itself when the hub restarts, logging each state change once', async () => {
      const first = await startServer(testConfig());
      const url = first.url;
      const port = first.port;
      const logger = recordingLogger();
      const worker = new HubWorker({
        transport,
        url,
        services: 'echo',
        concurrency: 3,
        pollTimeoutMs: 1000,
        backoff: { initialMs: 10, maxMs: 50 },
        logger,
        handler: (job) => job.json(),
      }).start();
      const client = new HubClient({ url });
      assert.equal((await client.call('echo', 1)).body, 1);

      await first.close();
      await until(() => logger.lines.some((l) => l.includes('hub unavailable')), {
        what: 'the outage to be noticed',
      });
      await new Promise((resolve) => setTimeout(resolve, 150)); // several failed retries per slot
      const second = await startServer(testConfig({ port }));
      try {
        assert.equal((await client.call('echo', 2, { timeout: 3000 })).body, 2);
        await until(() => logger.lines.some((l) => l.includes('reconnected')), {
          what: 'the reconnect log',
        });
        assert.equal(
          logger.lines.filter((l) => l.includes('hub unavailable')).length,
          1,
          logger.lines.join('\n'),
        );
        assert.equal(
          logger.lines.filter((l) => l.includes('reconnected')).length,
          1,
          logger.lines.join('\n'),
        );
      } finally {
        await worker.stop();
        await second.close();
      }
    });

    test('stop() lets handlers in flight finish and answer, and leaves no poll parked', () =>
      withHub(async (server, client, track) => {
        const release = deferred();
        const started = deferred();
        const worker = track(
          new HubWorker({
            transport,
            url: server.url,
            services: 'slow',
            concurrency: 2,
            logger: false,
            handler: async () => {
              started.resolve();
              await release.promise;
              return 'finished';
            },
          }).start(),
        );
        const call = client.call('slow', {});
        await started.promise;
        let stopped = false;
        const stopping = worker.stop({ graceMs: 5000 }).then(() => {
          stopped = true;
        });
        await until(async () => (await server.hub.status()).total.waitingWorkers === 0, {
          what: 'polls to close',
        });
        assert.equal(stopped, false, 'stop waits for the handler');
        release.resolve();
        assert.equal((await call).body, 'finished');
        await stopping;
        assert.deepEqual(server.hub.parked, { calls: 0, polls: 0 });
      }));

    test("the handler's signal aborts at the job's deadline and when stop()'s grace ends", () =>
      withHub(async (server, client, track) => {
        const aborted: string[] = [];
        const graceJobStarted = deferred();
        const worker = track(
          new HubWorker({
            transport,
            url: server.url,
            services: 'stuck',
            logger: false,
            handler: (job, { signal }) =>
              new Promise((resolve) => {
                if (job.json() === 'grace') graceJobStarted.resolve();
                signal.addEventListener('abort', () => {
                  aborted.push(job.json<string>());
                  resolve('gave up');
                });
              }),
          }).start(),
        );
        try {
          // The hub gives the caller up at the deadline; the worker is told at the same moment.
          const timedOut = await client
            .call('stuck', 'deadline', { timeout: 50 })
            .catch((e) => e.code);
          await until(() => aborted.includes('deadline'), { what: 'the deadline abort' });
          assert.ok(timedOut === 'timeout' || timedOut.body === 'gave up');

          const held = client.call('stuck', 'grace', { timeout: 5000 });
          await graceJobStarted.promise;
          await worker.stop({ graceMs: 20 });
          assert.deepEqual(aborted, ['deadline', 'grace']);
          assert.equal(
            (await held).body,
            'gave up',
            'the answer after the abort is still posted once',
          );
        } finally {
          await worker.stop();
        }
      }));

    test('[P-HEARTBEAT] heartbeats keep a handler that outlasts its lease on its job: one run, attempt 1', () =>
      withHub(
        async (server, client, track) => {
          const attempts: number[] = [];
          track(
            new HubWorker({
              transport,
              url: server.url,
              services: 'slow',
              logger: false,
              handler: async (job) => {
                attempts.push(job.attempt);
                await new Promise((resolve) => setTimeout(resolve, 250));
                return { done: true };
              },
            }),
          ).start();
          const response = await client.call('slow', {}, { timeout: 2000 });
          assert.equal(response.status, 200);
          assert.deepEqual(attempts, [1]);
          assert.equal((await server.hub.status()).total.redelivered, 0);
        },
        { leaseMs: 60 },
      ));

    test('[P-HEARTBEAT] a handler is aborted when a heartbeat learns its caller has gone, and its result is not sent', () =>
      withHub(
        async (server, client, track) => {
          const aborted = deferred();
          const started = deferred();
          const logger = recordingLogger();
          const worker = track(
            new HubWorker({
              transport,
              url: server.url,
              services: 'slow',
              logger,
              handler: async (_job, { signal }) => {
                started.resolve();
                signal.addEventListener('abort', () => aborted.resolve());
                // Bounded, so a worker that is never told ends the test instead of hanging it.
                await Promise.race([aborted.promise, new Promise((r) => setTimeout(r, 900))]);
                return 'never sent';
              },
            }),
          );
          worker.start();
          const controller = new AbortController();
          const call = client.call('slow', {}, { timeout: 5000, signal: controller.signal });
          await started.promise;
          controller.abort();
          await call.catch(() => {});
          const before = Date.now();
          const told = await Promise.race([
            aborted.promise.then(() => true),
            new Promise((r) => setTimeout(() => r(false), 800)),
          ]);
          // Told by a heartbeat within a third of the lease, long before the 5 s deadline.
          assert.ok(told, `not aborted after ${Date.now() - before} ms`);
          await worker.stop({ graceMs: 1000 });
          assert.deepEqual(
            logger.lines.filter((line) => line.includes('refused')),
            [],
            'the result of a job the hub has given up is not sent',
          );
        },
        { leaseMs: 90 },
      ));
  });

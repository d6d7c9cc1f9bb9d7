import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WireBatchResult, WireJob } from '../../src/protocol.js';
import type { WorkerAnswer } from '../../src/sdk/answer.js';
import { nextBatch, type ReadyAnswer } from '../../src/sdk/answer-batch.js';
import { HubClientError } from '../../src/sdk/errors.js';
import type { ReceivedJob } from '../../src/sdk/received-job.js';
import { type LoopHost, ServiceLoop } from '../../src/sdk/service-loop.js';
import { until } from '../support/http.js';

function wireJob(id: string): WireJob {
  return {
    id,
    service: 'svc',
    attempt: 1,
    deadline: Date.now() + 60_000,
    remainingMs: 60_000,
    leaseMs: 10_000,
    method: 'POST',
    path: '/',
    flowId: 'flow',
    query: '',
    originalRequest: id,
    headers: {},
  };
}

function answerOf(text: string): WorkerAnswer {
  return { status: 200, contentType: 'text/plain', headers: {}, body: Buffer.from(text) };
}

interface Sent {
  readonly ids: string[];
  readonly next: { service: string; max: number } | undefined;
}

/**
 * A hub stand-in: `jobs` lists what each take returns in turn (a take past the
 * list waits until stop()), `send` answers every batch as accepted unless
 * `sendFails` says otherwise, and handlers answer at once unless `hold` keeps them.
 */
function fakeHost({
  concurrency = 4,
  jobs = [] as WireJob[][],
  hold = new Map<string, Promise<void>>(),
  sendFails = [] as unknown[],
  takeFails = [] as unknown[],
} = {}) {
  const stopping = new AbortController();
  const graceOver = new AbortController();
  const takes: number[] = [];
  const sent: Sent[] = [];
  const warnings: string[] = [];
  const started: string[] = [];
  const refusals: HubClientError[] = [];
  const host: LoopHost = {
    concurrency,
    stopping: stopping.signal,
    graceOver: graceOver.signal,
    backoff: { initialMs: 1, maxMs: 1 },
    async take(_service, max) {
      takes.push(max);
      const failure = takeFails.shift();
      if (failure) throw failure;
      const next = jobs.shift();
      if (next) return next;
      await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve));
      return [];
    },
    async send(batch, next) {
      sent.push({ ids: batch.map((a) => a.id), next });
      const failure = sendFails.shift();
      if (failure) throw failure;
      const result: WireBatchResult = {
        outcomes: batch.map(({ id }) => ({ id })),
        jobs: next ? (jobs.shift() ?? []) : [],
      };
      return result;
    },
    async run(job: ReceivedJob) {
      started.push(job.id);
      await hold.get(job.id);
      return answerOf(`done ${job.id}`);
    },
    reachable() {},
    refused(error) {
      refusals.push(error);
      stopping.abort();
    },
    warn: (message) => warnings.push(message),
  };
  return { host, stopping, takes, sent, warnings, started, refusals };
}

function released() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

describe('ServiceLoop: batches of jobs and answers ([P-BATCH])', () => {
  test('[P-BATCH-NEXT] answers that finish together go in one batch, which also asks for as many jobs as slots are free', async () => {
    const { host, stopping, takes, sent } = fakeHost({
      concurrency: 4,
      jobs: [['a', 'b', 'c'].map(wireJob)],
    });
    const done = new ServiceLoop('svc', host).run();
    await until(() => sent.length === 1 && takes.length === 2, { what: 'one batch' });
    assert.deepEqual(takes, [4, 4], 'a take asks for every free slot');
    assert.deepEqual(sent, [{ ids: ['a', 'b', 'c'], next: { service: 'svc', max: 4 } }]);
    stopping.abort();
    await done;
  });

  test("[P-BATCH] a slow job's answer does not hold back a fast one: it goes out while the next take waits", async () => {
    const slow = released();
    const { host, stopping, takes, sent } = fakeHost({
      concurrency: 2,
      jobs: [[wireJob('slow'), wireJob('fast')]],
      hold: new Map([['slow', slow.promise]]),
    });
    const done = new ServiceLoop('svc', host).run();
    await until(() => sent.length === 1, { what: 'the fast answer' });
    assert.deepEqual(sent[0], { ids: ['fast'], next: { service: 'svc', max: 1 } });
    await until(() => takes.length === 2, { what: 'a waiting take' });
    slow.release();
    await until(() => sent.length === 2, { what: 'the slow answer' });
    assert.deepEqual(
      sent[1],
      { ids: ['slow'], next: undefined },
      'answer-only: the take still waits',
    );
    stopping.abort();
    await done;
  });

  test('answers whose exchange failed are sent again after a pause; a batch the hub refuses (4xx) is dropped', async () => {
    const { host, stopping, sent, warnings } = fakeHost({
      concurrency: 1,
      jobs: [[wireJob('a')], [wireJob('b')]],
      sendFails: [
        new HubClientError('hub_unreachable', 'connection refused'),
        undefined,
        new HubClientError('invalid_batch', 'bad batch', { status: 400 }),
      ],
    });
    const done = new ServiceLoop('svc', host).run();
    await until(() => sent.length === 3, { what: 'three sends' });
    assert.deepEqual(
      sent.map((s) => s.ids),
      [['a'], ['a'], ['b']],
    );
    await until(() => warnings.length === 1, { what: 'a warning' });
    assert.match(warnings[0] ?? '', /refused: bad batch/);
    stopping.abort();
    await done;
    assert.equal(sent.length, 3, 'the refused batch was not sent again');
  });

  test('stop() cuts a take that waits with no answers, sends the answers still due, and ends', async () => {
    const held = released();
    const { host, stopping, sent, started, takes } = fakeHost({
      concurrency: 2,
      jobs: [[wireJob('a')]],
      hold: new Map([['a', held.promise]]),
    });
    let ended = false;
    const done = new ServiceLoop('svc', host).run().then(() => {
      ended = true;
    });
    await until(() => started.length === 1 && takes.length === 2, {
      what: 'a job and a waiting take',
    });
    stopping.abort();
    // Turns of the event loop, not time: the loop must wait for the job, however long.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, false, 'a job is still running');
    held.release();
    await done;
    assert.deepEqual(sent, [{ ids: ['a'], next: undefined }]);
  });
});

describe('nextBatch()', () => {
  const ready = (sizes: number[]): ReadyAnswer[] =>
    sizes.map((size, i) => ({
      id: `j${i}`,
      deadline: Date.now() + 1000,
      answer: { status: 200, contentType: undefined, headers: {}, body: new Uint8Array(size) },
    }));

  test('takes the oldest answers, at most 100, with up to 64 KiB beside the first', () => {
    const many = ready(Array.from({ length: 150 }, () => 10));
    assert.equal(nextBatch(many).length, 100);
    assert.equal(many.length, 50, 'the rest stay for the next batch');

    const bigFirst = ready([1024 * 1024, 10, 10]);
    assert.equal(nextBatch(bigFirst).length, 3, 'small answers may ride with a large first one');
    const bigLater = ready([10, 1024 * 1024]);
    assert.deepEqual(
      nextBatch(bigLater).map((a) => a.id),
      ['j0'],
      'a large answer never rides beside another',
    );
    const mixed = ready([10, 40 * 1024, 20 * 1024, 5 * 1024]);
    assert.deepEqual(
      nextBatch(mixed).map((a) => a.id),
      ['j0', 'j1', 'j2'],
    );
    assert.deepEqual(nextBatch([]), []);
  });
});

describe('ServiceLoop: a refused token', () => {
  // Issue 12, item 1: a 401 or 403 was retried with backoff for ever.
  test('a take refused with 401 or 403 is reported once and never retried', async () => {
    for (const [status, code] of [
      [401, 'unauthorized'],
      [403, 'forbidden'],
    ] as const) {
      const { host, takes, refusals, warnings } = fakeHost({
        takeFails: [new HubClientError(code, 'no', { status })],
      });
      await new ServiceLoop('svc', host).run();
      assert.deepEqual(takes, [4], 'one take, no retry');
      assert.deepEqual(
        refusals.map((e) => e.code),
        [code],
      );
      assert.deepEqual(warnings, []);
    }
  });
});

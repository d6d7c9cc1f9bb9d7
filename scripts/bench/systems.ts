/**
 * The systems the benchmark compares, each started fresh for one row: the servers
 * and workers in child processes, the callers in the benchmark's own process.
 */

import { once } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { type Child, pidOf, startChild } from './proc.js';
import type { AddRequest } from './targets/add.js';

export interface Running {
  /** One call of the add service; rejects on a wrong answer. */
  request(body: AddRequest): Promise<void>;
  /** The process whose CPU and memory we report: the hub, the server, or the broker. */
  readonly measuredPid: number | undefined;
  /** Processes whose CPU counts with the measured one's: the other replicas and Redis, for a hub on Redis. */
  readonly alsoMeasuredPids?: readonly number[];
  /** Commands Redis has run for clients so far (scripts and the rest): for commands per call. */
  storeCommands?(): Promise<number>;
  stop(): Promise<void>;
}

export interface System {
  readonly name: string;
  /** Why this row was skipped, or undefined when it can run here. */
  unavailable(): Promise<string | undefined>;
  start(options: { concurrency: number; services: number }): Promise<Running>;
}

const TARGETS = 'scripts/bench/targets';

function check(body: AddRequest, answer: { answer?: number }): void {
  if (answer.answer !== body.first + body.second) {
    throw new Error(`wrong answer ${JSON.stringify(answer)} for ${body.first}+${body.second}`);
  }
}

/**
 * The add request as Go-Events' envelope to `POST /events`: its response
 * event's payload is the answer (checked as the call's is).
 */
async function postEvent(pool: Pool, body: AddRequest): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: '/events',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'add', version: 1, id: 'bench', flowId: 'bench', payload: body }),
  });
  const event = (await response.body.json()) as { name: string; payload: { answer?: number } };
  if (response.statusCode !== 200 || event.name !== 'add:response')
    throw new Error(`status ${response.statusCode}: ${JSON.stringify(event)}`);
  check(body, event.payload);
}

async function postJson(pool: Pool, path: string, body: AddRequest): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.body.json()) as { answer?: number };
  if (response.statusCode !== 200)
    throw new Error(`status ${response.statusCode}: ${JSON.stringify(answer)}`);
  check(body, answer);
}

export const direct: System = {
  name: 'direct',
  unavailable: async () => undefined,
  async start({ concurrency }) {
    const server = await startChild(`${TARGETS}/direct-server.ts`, [], /READY (\d+)/);
    const pool = new Pool(`http://127.0.0.1:${server.ready}`, { connections: concurrency });
    return httpCallers(pool, () => '/add', server);
  },
};

/**
 * Callers over `pool`, each request to `pathOf()`, measured on `measured`'s
 * process; stopping closes the pool, then each of `others`, then `measured`.
 */
function httpCallers(
  pool: Pool,
  pathOf: () => string,
  measured: Child,
  others: readonly Child[] = [],
  events = false,
): Running {
  return {
    request: events ? (body) => postEvent(pool, body) : (body) => postJson(pool, pathOf(), body),
    measuredPid: measured.process.pid,
    async stop() {
      await pool.close();
      for (const child of others) await child.stop();
      await measured.stop();
    },
  };
}

/** The worker concurrency that serves `concurrency` callers: one handler each, up to 128. */
export function hubWorkerConcurrency(concurrency: number): number {
  return Math.min(concurrency, 128);
}

/**
 * The hub, run the way `npm start` runs it, with one worker process: `workerFile`
 * started with the hub's URL, its polls or concurrency per service, and the
 * number of services.
 */
function hubSystem(
  name: string,
  workerFile: string,
  {
    callers = 'http',
    workerArgs = [],
    hubEnv = {},
    store = 'memory',
    replicas = 1,
    events = false,
  }: {
    /** Callers send the add request as an event to `POST /events`. */
    events?: boolean;
    callers?: 'http' | 'ws';
    workerArgs?: string[];
    hubEnv?: Record<string, string>;
    /** `redis`: the hubs share the Redis at 127.0.0.1:6379, under a key prefix of this run's own. */
    store?: 'memory' | 'redis';
    /** Hub processes; the worker polls the last, the callers call the first. */
    replicas?: number;
  } = {},
): System {
  return {
    name,
    unavailable: async () =>
      store === 'redis' && !(await portOpen(6379)) ? 'no Redis at 127.0.0.1:6379' : undefined,
    async start({ concurrency, services }) {
      const prefix = `sbbench-${process.pid}-${Date.now()}`;
      const storeEnv: Record<string, string> =
        store === 'redis'
          ? { HUB_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', HUB_REDIS_PREFIX: prefix }
          : {};
      // The built hub, as the Docker image runs it (main.ts builds it first).
      const hubs = await Promise.all(
        Array.from({ length: replicas }, () =>
          startChild('dist/main.js', [], /listening on (http:\/\/\S+)/, {
            PORT: '0',
            HUB_MAX_BODY_BYTES: String(4 * 1024 * 1024),
            HUB_MAX_PARKED: '100000',
            ...storeEnv,
            ...hubEnv,
          }),
        ),
      );
      // biome-ignore lint/style/noNonNullAssertion: at least one replica
      const hub = hubs[0]!;
      // biome-ignore lint/style/noNonNullAssertion: at least one replica
      const workerHub = hubs[hubs.length - 1]!;
      const perService = services === 1 ? hubWorkerConcurrency(concurrency) : 1;
      const worker = await startChild(
        `${TARGETS}/${workerFile}`,
        [workerHub.ready, String(perService), String(services), ...workerArgs],
        /(READY)/,
      );
      // A worker keeps at least one take waiting per service, whatever its concurrency.
      await waitForWorkers(workerHub.ready, services);
      const others = [worker, ...hubs.slice(1)];
      const cleanUp = store === 'redis' ? () => deleteKeys(prefix) : async () => {};
      if (callers === 'ws') {
        const socket = await WsCaller.open(hub.ready);
        return {
          request: (body) => socket.call('/service/add', body),
          measuredPid: hub.process.pid,
          async stop() {
            await socket.close();
            for (const child of others) await child.stop();
            await hub.stop();
            await cleanUp();
          },
        };
      }
      const pool = new Pool(hub.ready, { connections: concurrency });
      let next = 0;
      const pathOf = () => `/service/${services === 1 ? 'add' : `add-${next++ % services}`}`;
      const running = httpCallers(pool, pathOf, hub, others, events);
      const redisPid = pidOf('redis-server');
      return {
        ...running,
        ...(store === 'redis' && {
          alsoMeasuredPids: [
            ...hubs.slice(1).flatMap((h) => (h.process.pid ? [h.process.pid] : [])),
            ...(redisPid === undefined ? [] : [redisPid]),
          ],
          storeCommands: redisCommands,
        }),
        async stop() {
          await running.stop();
          await cleanUp();
        },
      };
    },
  };
}

/**
 * The scripts Redis has run, from INFO commandstats: the hub sends nothing but
 * scripts on its hot path, one request each (pipelined when several leave in
 * one turn). Commandstats also counts the commands a script runs inside, so
 * only the script calls are summed.
 */
async function redisCommands(): Promise<number> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    const stats = await redis.info('commandstats');
    let total = 0;
    for (const [, calls] of stats.matchAll(
      /^cmdstat_(?:evalsha|eval|evalsha_ro|eval_ro):calls=(\d+)/gm,
    )) {
      total += Number(calls);
    }
    return total;
  } finally {
    redis.disconnect();
  }
}

/** Deletes a run's keys from the shared Redis: the benchmark leaves nothing behind. */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The SDK's HubWorker on the Redis store, one hub process. */
export const redisSdk = hubSystem('Redis store, SDK worker', 'hub-worker.ts', { store: 'redis' });

/** A plain worker (one job per poll) on the Redis store, one hub process. */
export const redisPlain = hubSystem('Redis store, plain worker', 'plain-worker.ts', {
  store: 'redis',
});

/** Two hub processes on one Redis: callers call one, the SDK worker polls the other. */
export const redisReplicasSdk = hubSystem('Redis store, 2 replicas, SDK worker', 'hub-worker.ts', {
  store: 'redis',
  replicas: 2,
});

/** Two hub processes on one Redis, with a plain worker: every call handed across replicas. */
export const redisReplicasPlain = hubSystem(
  'Redis store, 2 replicas, plain worker',
  'plain-worker.ts',
  { store: 'redis', replicas: 2 },
);

/** `POST /events` on the add workload: an EventMux worker on the SDK's long polls, beside `switchboard`. */
export const switchboardEvents = hubSystem('switchboard events (POST /events)', 'event-worker.ts', {
  events: true,
});

/** The call path `switchboardEvents` is judged against, measured beside it in the events run. */
export const switchboardCallBesideEvents = hubSystem(
  'switchboard call (POST /service/add)',
  'hub-worker.ts',
);

/** The SDK's HubWorker: one take in flight per service, jobs and answers in batches. */
export const switchboard = hubSystem('switchboard long-poll', 'hub-worker.ts');

/**
 * A plain worker, as most non-SDK workers are: min(C, 128) polls in flight, one
 * job per poll, one `POST /jobs/<id>` per answer (one service only).
 */
export const switchboardPlain = hubSystem('switchboard plain worker', 'plain-worker.ts');

/**
 * This hub beside a minimal one (issue 12's "ahead of the minimal reference hub at
 * every C"): the same plain worker against each, in interleaved slices.
 */
export const pairedPlain = hubSystem('this hub (plain worker, paired)', 'plain-worker.ts');

/** A minimal hub (targets/minimal-hub.ts: a Hono app, two FIFOs and a map) with the plain worker. */
export const minimalHub: System = {
  name: 'minimal hub (plain worker, paired)',
  unavailable: async () => undefined,
  async start({ concurrency }) {
    const hub = await startChild(`${TARGETS}/minimal-hub.ts`, [], /READY (http:\/\/\S+)/);
    const worker = await startChild(
      `${TARGETS}/plain-worker.ts`,
      [hub.ready, String(hubWorkerConcurrency(concurrency))],
      /(READY)/,
    );
    const pool = new Pool(hub.ready, { connections: concurrency });
    return httpCallers(pool, () => '/service/add', hub, [worker]);
  },
};

/** A WebSocket worker (frames, credit min(C, 128)) with HTTP callers. */
export const switchboardWs = hubSystem('switchboard WebSocket worker', 'ws-worker.ts');

/** WebSocket callers (one socket, every call in flight on it) and a WebSocket worker. */
export const switchboardWsBoth = hubSystem('switchboard WebSocket both', 'ws-worker.ts', {
  callers: 'ws',
});

/**
 * The cost of metrics (issue 15): the plain worker, whose every call is two
 * HTTP exchanges, with metrics on (the default) and off, in alternating rounds.
 */
export const metricsOn = hubSystem('metrics on (plain worker)', 'plain-worker.ts');
export const metricsOff = hubSystem('metrics off (plain worker)', 'plain-worker.ts', {
  hubEnv: { HUB_METRICS_MAX_SERVICES: '0' },
});

/** The SDK's HubWorker with `transport: 'ws'`: one socket per service, credit min(C, 128). */
export const switchboardSdkWs = hubSystem('switchboard SDK WebSocket worker', 'hub-worker.ts', {
  workerArgs: ['ws'],
});

/** The benchmark's callers on one WebSocket: wsrest request frames, answered by uid. */
class WsCaller {
  readonly #socket: WebSocket;
  readonly #waiting = new Map<
    string,
    { body: AddRequest; resolve(): void; reject(e: Error): void }
  >();
  #next = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        uid?: string;
        c?: number;
        d?: { answer?: number };
      };
      const waiting = frame.uid === undefined ? undefined : this.#waiting.get(frame.uid);
      if (!waiting || frame.uid === undefined) return;
      this.#waiting.delete(frame.uid);
      try {
        if (frame.c !== 200) throw new Error(`status ${frame.c}: ${JSON.stringify(frame.d)}`);
        check(waiting.body, frame.d ?? {});
        waiting.resolve();
      } catch (error) {
        waiting.reject(error as Error);
      }
    });
  }

  static async open(hubUrl: string): Promise<WsCaller> {
    const socket = new WebSocket(`${hubUrl.replace('http', 'ws')}/ws`, 'switchboard.v1');
    await once(socket, 'open');
    return new WsCaller(socket);
  }

  call(route: string, body: AddRequest): Promise<void> {
    const uid = String(this.#next++);
    return new Promise((resolve, reject) => {
      this.#waiting.set(uid, { body, resolve, reject });
      this.#socket.send(JSON.stringify({ uid, m: 'POST', r: route, d: body }));
    });
  }

  async close(): Promise<void> {
    this.#socket.close();
    await once(this.#socket, 'close');
  }
}

async function waitForWorkers(hubUrl: string, parked: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const status = (await (await fetch(`${hubUrl}/status`)).json()) as { parkedPolls: number };
    if (status.parkedPolls >= parked) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${parked} workers parked after 20 s`);
}

async function portOpen(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const nats: System = {
  name: 'NATS request/reply',
  unavailable: async () =>
    (await portOpen(4222)) ? undefined : 'no NATS server at 127.0.0.1:4222',
  async start() {
    const worker = await startChild(`${TARGETS}/nats-worker.ts`, [], /(READY)/);
    const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
    const codec = JSONCodec<AddRequest | { answer?: number }>();
    return {
      async request(body) {
        const reply = await nc.request('bench.add', codec.encode(body), { timeout: 10_000 });
        check(body, codec.decode(reply.data) as { answer?: number });
      },
      measuredPid: pidOf('nats-server'),
      async stop() {
        await nc.close();
        await worker.stop();
      },
    };
  },
};

export const bullmq: System = {
  name: 'BullMQ',
  unavailable: async () => ((await portOpen(6379)) ? undefined : 'no Redis at 127.0.0.1:6379'),
  async start() {
    const connection = { host: '127.0.0.1', port: 6379 };
    const queue = new Queue<AddRequest>('bench-add', { connection });
    await queue.obliterate({ force: true });
    const events = new QueueEvents('bench-add', { connection });
    // Every waiting caller adds listeners; hundreds at once are expected here.
    queue.setMaxListeners(0);
    events.setMaxListeners(0);
    await events.waitUntilReady();
    const worker: Child = await startChild(`${TARGETS}/bullmq-worker.ts`, [], /(READY)/);
    return {
      async request(body) {
        // Keep finished jobs a while: waitUntilFinished reads a job that finished before it looked.
        const job = await queue.add('add', body, {
          removeOnComplete: { count: 5000 },
          removeOnFail: { count: 5000 },
        });
        check(body, (await job.waitUntilFinished(events, 10_000)) as { answer?: number });
      },
      measuredPid: pidOf('redis-server'),
      async stop() {
        await worker.stop();
        await events.close();
        await queue.obliterate({ force: true });
        await queue.close();
      },
    };
  },
};

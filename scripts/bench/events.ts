/**
 * The events part of the benchmark (issue 29): topics against NATS
 * publish/subscribe in the same run. Publish throughput is a closed loop of C
 * publishers, each waiting until the server has the message (the hub's 200;
 * NATS's `flush()`, a round trip after the publish). Fan-out counts the
 * messages all N subscribers received while C=16 publishers publish. Latency
 * is publish-to-subscriber at a paced 1,000 messages a second, one subscriber.
 * Webhooks: deliveries per second to a local receiver (no NATS twin: NATS
 * delivers to no URL). Subscribers, publishers and the receiver run in this
 * process, for both systems alike.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { type Child, startChild } from './proc.js';
import type { System } from './systems.js';

export interface FanOutResult {
  readonly system: string;
  readonly subscribers: number;
  /** Messages received by all subscribers together, per second. */
  readonly deliveredPerSec: number;
  /** Messages published per second meanwhile. */
  readonly publishedPerSec: number;
  /** Subscribers the server let go (too slow) during the window. */
  readonly cut: number;
}

export interface LatencyResult {
  readonly system: string;
  readonly ratePerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export interface WebhookResult {
  readonly webhooks: number;
  /** Deliveries the local receiver answered 200, per second, from the first publish to the last delivery. */
  readonly deliveredPerSec: number;
  /** Messages published to the topic. */
  readonly backlog: number;
}

export interface EventResults {
  readonly fanOut: readonly FanOutResult[];
  readonly latency: readonly LatencyResult[];
  readonly webhooks?: readonly WebhookResult[];
}

export const HUB_PUBLISH = 'switchboard publish';
export const HUB_PUBLISH_WS = 'switchboard publish on /ws';
export const NATS_PUBLISH = 'NATS publish';

const PAYLOAD = Buffer.alloc(100, 'e');

/** The hub as `npm start` runs it, its topics keeping the newest (a bench publishes without end). */
function startHub(): Promise<Child> {
  return startChild('dist/main.js', [], /listening on (http:\/\/\S+)/, {
    PORT: '0',
    HUB_TOPIC_DISCARD: 'old',
    HUB_WS_MAX_SOCKETS: '10000',
  });
}

/** A topic name of this run's own. */
const topicName = () => `bench-${process.pid}-${Date.now()}`;

export const hubPublish: System = {
  name: HUB_PUBLISH,
  unavailable: async () => undefined,
  async start({ concurrency }) {
    const hub = await startHub();
    const pool = new Pool(hub.ready, { connections: concurrency });
    const path = `/topics/${topicName()}`;
    return {
      async request() {
        const response = await pool.request({ method: 'PUT', path, body: PAYLOAD });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      },
      measuredPid: hub.process.pid,
      async stop() {
        await pool.close();
        await hub.stop();
      },
    };
  },
};

/**
 * Publishers on one socket of the hub's `/ws`, as NATS's share one connection:
 * each sends a request frame (`PUT /topics/<t>`) and waits for its reply frame.
 */
export const hubPublishWs: System = {
  name: HUB_PUBLISH_WS,
  unavailable: async () => undefined,
  async start() {
    const hub = await startHub();
    const socket = await frameSocket(hub.ready);
    const waiting = new Map<string, { resolve(): void; reject(error: Error): void }>();
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { uid?: string; c?: number };
      const waiter = frame.uid === undefined ? undefined : waiting.get(frame.uid);
      if (!waiter || frame.uid === undefined) return;
      waiting.delete(frame.uid);
      if (frame.c === 200) waiter.resolve();
      else waiter.reject(new Error(`status ${frame.c}`));
    });
    const path = `/topics/${topicName()}`;
    const body = PAYLOAD.toString('base64');
    let uid = 0;
    return {
      request() {
        const id = String(uid++);
        return new Promise<void>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          socket.send(`{"uid":"${id}","m":"PUT","r":"${path}","d64":"${body}"}`);
        });
      },
      measuredPid: hub.process.pid,
      async stop() {
        socket.close();
        await hub.stop();
      },
    };
  },
};

export const natsPublish: System = {
  name: NATS_PUBLISH,
  unavailable: natsUnavailable,
  async start() {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const subject = topicName();
    return {
      async request() {
        nc.publish(subject, PAYLOAD);
        await nc.flush();
      },
      measuredPid: undefined,
      async stop() {
        await nc.close();
      },
    };
  },
};

async function natsUnavailable(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: '127.0.0.1:4222', timeout: 1000 });
    await nc.close();
    return undefined;
  } catch {
    return 'no NATS server at 127.0.0.1:4222';
  }
}

/** Something that receives a topic's messages, counting them. */
interface Subscribers {
  received(): number;
  cut(): number;
  close(): Promise<void>;
}

/** Publishes from `publishers` loops until `ms` has passed; resolves the count. */
async function publishFor(ms: number, publishers: number, publish: () => Promise<void>) {
  const end = Date.now() + ms;
  let published = 0;
  await Promise.all(
    Array.from({ length: publishers }, async () => {
      while (Date.now() < end) {
        await publish();
        published++;
      }
    }),
  );
  return published;
}

async function hubSubscribers(
  url: string,
  topic: string,
  count: number,
  kind: 'ws' | 'sse',
): Promise<Subscribers> {
  let received = 0;
  let cut = 0;
  const closers: (() => void)[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      if (kind === 'ws') {
        const socket = new WebSocket(`${url.replace('http', 'ws')}/topics/${topic}`, {
          perMessageDeflate: false,
        });
        socket.on('message', () => received++);
        socket.on('close', (code) => {
          if (code !== 1000 && code !== 1005) cut++;
        });
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        closers.push(() => socket.close());
        return;
      }
      const abort = new AbortController();
      const response = await fetch(`${url}/topics/${topic}`, {
        headers: { accept: 'text/event-stream' },
        signal: abort.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      void (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            // Each message is one event with an `id:` line; comments have none.
            for (let i = value.indexOf(0x69); i !== -1; i = value.indexOf(0x69, i + 1)) {
              if (
                value[i + 1] === 0x64 &&
                value[i + 2] === 0x3a &&
                (i === 0 || value[i - 1] === 0x0a)
              )
                received++;
            }
          }
        } catch {
          // Aborted at the end.
        }
      })();
      closers.push(() => abort.abort());
    }),
  );
  return {
    received: () => received,
    cut: () => cut,
    async close() {
      for (const close of closers) close();
    },
  };
}

async function natsSubscribers(subject: string, count: number): Promise<Subscribers> {
  let received = 0;
  const connections: NatsConnection[] = [];
  for (let i = 0; i < count; i++) {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    nc.subscribe(subject, { callback: () => received++ });
    await nc.flush();
    connections.push(nc);
  }
  return {
    received: () => received,
    cut: () => 0,
    async close() {
      for (const nc of connections) await nc.close();
    },
  };
}

/** Messages delivered per second to `subscribers` subscribers while 16 publishers publish. */
async function fanOut(
  system: 'switchboard WebSocket' | 'switchboard SSE' | 'NATS',
  subscribers: number,
  windowMs: number,
): Promise<FanOutResult> {
  const topic = topicName();
  let hub: Child | undefined;
  let pool: Pool | undefined;
  let nc: NatsConnection | undefined;
  let subs: Subscribers;
  let publish: () => Promise<void>;
  if (system === 'NATS') {
    subs = await natsSubscribers(topic, subscribers);
    const publisher = await connect({ servers: '127.0.0.1:4222' });
    nc = publisher;
    publish = async () => {
      publisher.publish(topic, PAYLOAD);
      await publisher.flush();
    };
  } else {
    hub = await startHub();
    const hubPool = new Pool(hub.ready, { connections: 16 });
    pool = hubPool;
    subs = await hubSubscribers(
      hub.ready,
      topic,
      subscribers,
      system === 'switchboard WebSocket' ? 'ws' : 'sse',
    );
    const path = `/topics/${topic}`;
    publish = async () => {
      const response = await hubPool.request({ method: 'PUT', path, body: PAYLOAD });
      await response.body.dump();
    };
  }
  // A short warm-up, then the window.
  await publishFor(Math.min(500, windowMs / 4), 16, publish);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = subs.received();
  const started = Date.now();
  const published = await publishFor(windowMs, 16, publish);
  // What was published in the window and is still on its way counts too.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const elapsedS = (Date.now() - started) / 1000;
  const delivered = subs.received() - before;
  const result = {
    system,
    subscribers,
    deliveredPerSec: delivered / elapsedS,
    publishedPerSec: published / (windowMs / 1000),
    cut: subs.cut(),
  };
  await subs.close();
  await pool?.close();
  await nc?.close();
  await hub?.stop();
  return result;
}

/** The subscriber is a msgbus WebSocket; the publisher PUTs over HTTP, or sends request frames on a socket. */
type LatencySystem = 'switchboard WebSocket' | 'switchboard WebSocket, publisher on /ws' | 'NATS';

/** Publish-to-subscriber latency at `rate` messages a second, one subscriber, for `ms`. */
async function latency(system: LatencySystem, rate: number, ms: number): Promise<LatencyResult> {
  const topic = topicName();
  const samples: number[] = [];
  // Samples count from the end of the warm-up on.
  let measuredFrom = Number.POSITIVE_INFINITY;
  const onMessage = (text: string) => {
    const sent = Number(text);
    if (Number.isFinite(sent) && sent >= measuredFrom) samples.push(performance.now() - sent);
  };
  let publish: (body: Buffer) => void;
  let stop: () => Promise<void>;
  if (system === 'NATS') {
    const sub = await connect({ servers: '127.0.0.1:4222' });
    sub.subscribe(topic, {
      callback: (_error, message) => onMessage(Buffer.from(message.data).toString()),
    });
    await sub.flush();
    const pub = await connect({ servers: '127.0.0.1:4222' });
    publish = (body) => pub.publish(topic, body);
    stop = async () => {
      await pub.close();
      await sub.close();
    };
  } else {
    const hub = await startHub();
    const pool = new Pool(hub.ready, { connections: 64 });
    const socket = new WebSocket(`${hub.ready.replace('http', 'ws')}/topics/${topic}`, {
      perMessageDeflate: false,
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { payload: string };
      onMessage(Buffer.from(frame.payload, 'base64').toString());
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const path = `/topics/${topic}`;
    const publisher = system === 'switchboard WebSocket' ? undefined : await frameSocket(hub.ready);
    let uid = 0;
    publish = publisher
      ? (body) =>
          publisher.send(
            `{"uid":"${uid++}","m":"PUT","r":"${path}","d64":"${body.toString('base64')}"}`,
          )
      : (body) => {
          void pool
            .request({ method: 'PUT', path, body })
            .then((response) => response.body.dump())
            .catch(() => {});
        };
    stop = async () => {
      socket.close();
      publisher?.close();
      await pool.close();
      await hub.stop();
    };
  }
  // Every millisecond or so, the messages due by then: `rate` a second, evenly.
  // The first LATENCY_WARMUP_MS are paced alike and not measured: a hub just
  // started is still compiling its hot path (its p99 over the first seconds
  // was 10-110 ms, against 2-4 ms once warm), and NATS is a server long up.
  const started = performance.now();
  measuredFrom = started + LATENCY_WARMUP_MS;
  let sent = 0;
  while (performance.now() - started < LATENCY_WARMUP_MS + ms) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) publish(Buffer.from(String(performance.now())));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stop();
  const kept = samples.sort((a, b) => a - b);
  const at = (q: number) =>
    kept[Math.min(kept.length - 1, Math.floor(q * kept.length))] ?? Number.NaN;
  return { system, ratePerSec: rate, p50Ms: at(0.5), p99Ms: at(0.99), samples: kept.length };
}

/**
 * Webhook deliveries per second to a local receiver: `backlog` messages are
 * published to a topic with `webhooks` webhooks, then timed until the
 * receiver has them all (a drain: publishers hammering the same process
 * would measure the publishers).
 */
async function webhookDeliveries(webhooks: number, backlog: number): Promise<WebhookResult> {
  const topic = topicName();
  let received = 0;
  let allIn = () => {};
  const expected = webhooks * backlog;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (++received === expected) allIn();
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const port = (receiver.address() as AddressInfo).port;
  const hub = await startChild('dist/main.js', [], /listening on (http:\/\/\S+)/, {
    PORT: '0',
    HUB_TOPIC_DISCARD: 'old',
    HUB_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
    HUB_WEBHOOK_MAX_PER_ADDRESS: String(webhooks),
  });
  const pool = new Pool(hub.ready, { connections: 16 });
  const request = async (method: 'PUT' | 'POST', path: string, body: string | Buffer) => {
    const response = await pool.request({ method, path, body });
    await response.body.dump();
  };
  // The webhooks are registered paused behind a backlog: the topic holds it before they start.
  for (let i = 0; i < webhooks; i++) {
    await request(
      'POST',
      `/topics/${topic}/webhooks`,
      JSON.stringify({ address: `http://127.0.0.1:${port}/${i}` }),
    );
  }
  const done = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const started = Date.now();
  for (let i = 0; i < backlog; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, backlog - i) }, () =>
        request('PUT', `/topics/${topic}`, PAYLOAD),
      ),
    );
  }
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  const elapsedS = (Date.now() - started) / 1000;
  const result = { webhooks, deliveredPerSec: received / elapsedS, backlog };
  await pool.close();
  await hub.stop();
  receiver.close();
  return result;
}

/** How long each latency round publishes at its rate before it measures. */
const LATENCY_WARMUP_MS = 2000;

/** Rounds of each latency system; the report keeps the median. */
const LATENCY_ROUNDS = 3;

/** The median of rounds, by p99 and by p50 apart; samples are those of every round. */
function medianRound(results: LatencyResult[]): LatencyResult {
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const [first] = results;
  if (!first) throw new Error('no rounds');
  return {
    ...first,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    samples: results.reduce((sum, r) => sum + r.samples, 0),
  };
}

/** A socket on the hub's `/ws`, for request frames. */
async function frameSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, ['switchboard.v1'], {
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Fan-out to 1, 10 and 100 subscribers and the paced latency, for the hub (WebSocket, SSE) and NATS. */
export async function runEventBench(
  windowMs: number,
  log: (line: string) => void,
): Promise<EventResults> {
  const natsHere = (await natsUnavailable()) === undefined;
  const fan: FanOutResult[] = [];
  for (const subscribers of [1, 10, 100]) {
    for (const system of ['switchboard WebSocket', 'switchboard SSE', 'NATS'] as const) {
      if (system === 'NATS' && !natsHere) continue;
      const result = await fanOut(system, subscribers, windowMs);
      log(
        `  fan-out ${system} × ${subscribers}: ${result.deliveredPerSec.toFixed(0)} delivered/s (${result.publishedPerSec.toFixed(0)} published/s, ${result.cut} cut)`,
      );
      fan.push(result);
    }
  }
  const paced: LatencyResult[] = [];
  const latencySystems: LatencySystem[] = [
    'switchboard WebSocket',
    'switchboard WebSocket, publisher on /ws',
    'NATS',
  ];
  // A tail on a shared 2-core machine moves with whatever else ran that second
  // (NATS's own p99 ranged 1.1-2.3 ms in one afternoon): alternating rounds,
  // the median round's figures, as the throughput rows do.
  const rounds = new Map<LatencySystem, LatencyResult[]>();
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const system of latencySystems) {
      if (system === 'NATS' && !natsHere) continue;
      const result = await latency(system, 1000, Math.max(3000, windowMs));
      log(
        `  latency ${system} at 1000/s, round ${round + 1}: p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms (${result.samples} samples)`,
      );
      rounds.set(system, [...(rounds.get(system) ?? []), result]);
    }
  }
  for (const results of rounds.values()) paced.push(medianRound(results));
  const webhooks: WebhookResult[] = [];
  for (const count of [1, 4]) {
    const result = await webhookDeliveries(count, windowMs >= 3000 ? 5000 : 1000);
    log(
      `  webhooks × ${count}: ${result.deliveredPerSec.toFixed(0)} delivered/s (${result.backlog} messages each)`,
    );
    webhooks.push(result);
  }
  return { fanOut: fan, latency: paced, webhooks };
}

/**
 * One request, three ways in (issue 27, item 2): the Hono app in process
 * (`app.request`), a real server over HTTP (the node:http fast path serves the
 * hot routes), and a WebSocket request frame. A suite written against
 * `request(path, init)` runs on each, so a rule that holds on one path and not
 * another fails a test.
 */
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import type { Config } from '../../src/config.js';
import type { Hub } from '../../src/core/hub.js';
import { startServer } from '../../src/http/server.js';
import { binaryFrame, splitBinaryFrame } from '../../src/protocol.js';
import { jsonMemberText } from '../../src/raw-json.js';
import { testApp, testConfig } from './config.js';
import { until } from './http.js';
import { needsRedis, REDIS_URL, testPrefix } from './redis.js';

/** What a suite sends requests through: `app.request`'s shape, and the hub behind it. */
export interface RequestTarget {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
  /** The hub itself: every channel's hub runs in the test's process. */
  readonly hub: Hub;
}

export interface Channel {
  readonly name: string;
  /** A fresh hub behind this channel, closed when the test ends. */
  open(t: TestContext, overrides?: Partial<Config>): Promise<RequestTarget>;
}

const hono: Channel = {
  name: 'Hono app',
  async open(t, overrides) {
    const { app, hub } = testApp(overrides);
    t.after(() => hub.close(0));
    await hub.opened;
    return { request: (path, init) => app.request(path, init), hub };
  },
};

const fastPath: Channel = {
  name: 'HTTP server',
  async open(t, overrides) {
    const server = await startServer(testConfig(overrides));
    t.after(() => server.close());
    return { request: (path, init) => fetch(`${server.url}${path}`, init), hub: server.hub };
  },
};

/** A frame as the hub sent it: its JSON (a binary frame's head), and a binary frame's body. */
interface Received {
  readonly frame: ResponseFrame;
  readonly text: string;
  readonly body: Buffer | undefined;
}

/**
 * Requests as WebSocket request frames: under switchboard.v1 as JSON text
 * frames (the body as `d64`), under v2 as binary frames (the body as bytes).
 */
function framesChannel(protocol: 'switchboard.v1' | 'switchboard.v2'): Channel {
  const binary = protocol === 'switchboard.v2';
  return {
    name: `WebSocket ${binary ? 'v2 binary' : 'v1 text'} frames`,
    async open(t, overrides) {
      const server = await startServer(testConfig(overrides));
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, [protocol]);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const waiting = new Map<string, (received: Received) => void>();
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        const split = isBinary ? splitBinaryFrame(data) : undefined;
        const text = split ? split.head : String(data);
        const frame = JSON.parse(text) as ResponseFrame;
        if (typeof frame.uid === 'string')
          waiting.get(frame.uid)?.({ frame, text, body: split?.body });
      });
      t.after(async () => {
        socket.close();
        await server.close();
      });
      let uids = 0;
      return {
        hub: server.hub,
        async request(path, init) {
          // The request as fetch would make it: its method, headers and body bytes.
          const request = new Request(`http://frames${path}`, init);
          const body = Buffer.from(await request.arrayBuffer());
          const uid = String(++uids);
          const answered = new Promise<Received>((resolve) => waiting.set(uid, resolve));
          const head = { uid, m: request.method, r: path, h: Object.fromEntries(request.headers) };
          if (binary) socket.send(binaryFrame(JSON.stringify(head), body));
          else {
            const d64 = body.byteLength > 0 ? { d64: body.toString('base64') } : {};
            socket.send(JSON.stringify({ ...head, ...d64 }));
          }
          const received = await answered;
          waiting.delete(uid);
          return responseOf(received);
        },
      };
    },
  };
}

interface ResponseFrame {
  uid?: string;
  c: number;
  h: Record<string, string | string[]>;
  d?: unknown;
  d64?: string;
}

/** A response frame as a fetch Response: a JSON `d` as the frame's text spells it. */
function responseOf({ frame, text, body }: Received): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(frame.h)) {
    for (const line of typeof value === 'string' ? [value] : value) headers.append(name, line);
  }
  const bytes =
    body ??
    (frame.d64 !== undefined
      ? Buffer.from(frame.d64, 'base64')
      : 'd' in frame
        ? Buffer.from(jsonMemberText(text, 'd') ?? '')
        : null);
  const bodyless = frame.c === 204 || frame.c === 304;
  return new Response(bodyless ? null : bytes, { status: frame.c, headers });
}

/** How many jobs of `service` are queued, from `GET /status` on the same channel. */
export async function queuedOn(app: RequestTarget, service: string): Promise<number> {
  const status = (await (await app.request('/status')).json()) as {
    services: { service: string; queued: number }[];
  };
  return status.services.find((s) => s.service === service)?.queued ?? 0;
}

/**
 * Sends each request once the one before is queued: over a network, two
 * requests in flight at once may arrive in either order. Returns their
 * responses, still to come.
 */
export async function inOrder(
  app: RequestTarget,
  service: string,
  send: readonly (() => Response | Promise<Response>)[],
): Promise<Promise<Response>[]> {
  const sent: Promise<Response>[] = [];
  const before = await queuedOn(app, service);
  for (const [i, request] of send.entries()) {
    sent.push(Promise.resolve(request()));
    await until(async () => (await queuedOn(app, service)) === before + i + 1, {
      what: `call ${i + 1} queued`,
    });
  }
  return sent;
}

/**
 * The channels where each request carries its own credentials. Over a
 * WebSocket the socket authenticates once and its frames act with its token,
 * whatever they say (test/ws/, [P-WS-AUTH]): per-request auth suites run here.
 */
export const HTTP_CHANNELS: readonly Channel[] = [
  hono,
  fastPath,
  ...(needsRedis.skip ? [] : [onRedis(fastPath)]),
];

/** The same channel with its hub on the Redis store, under a key prefix of its own. */
function onRedis(channel: Channel): Channel {
  return {
    name: `${channel.name}, Redis store`,
    open: (t, overrides) =>
      channel.open(t, {
        ...overrides,
        store: 'redis',
        redisUrl: REDIS_URL,
        redisPrefix: testPrefix(),
      }),
  };
}

const MEMORY_CHANNELS: readonly Channel[] = [
  hono,
  fastPath,
  framesChannel('switchboard.v1'),
  framesChannel('switchboard.v2'),
];

/**
 * Every channel on every store: the memory store, and the Redis store when
 * one answers (support/redis.ts says when it is skipped; CI requires it).
 */
export const CHANNELS: readonly Channel[] = [
  ...MEMORY_CHANNELS,
  ...(needsRedis.skip ? [] : MEMORY_CHANNELS.map(onRedis)),
];

/**
 * For a test that needs the hub in its own process (a mocked clock, the Hub
 * object itself): it runs once, with the Hono app on the memory store, and is
 * skipped on the others.
 */
export function inProcessOnly(channel: Channel): { skip: string | false } {
  return { skip: channel === hono ? false : 'needs the hub in process: runs with the Hono app' };
}

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
import { startServer } from '../../src/http/server.js';
import { jsonMemberText } from '../../src/util/json-member.js';
import { testApp, testConfig } from './config.js';

/** What a suite sends requests through: `app.request`'s shape. */
export interface RequestTarget {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

export interface Channel {
  readonly name: string;
  /** A fresh hub behind this channel, closed when the test ends. */
  open(t: TestContext, overrides?: Partial<Config>): Promise<RequestTarget>;
}

const hono: Channel = {
  name: 'Hono app',
  async open(_t, overrides) {
    return testApp(overrides).app;
  },
};

const fastPath: Channel = {
  name: 'HTTP server',
  async open(t, overrides) {
    const server = await startServer(testConfig(overrides));
    t.after(() => server.close());
    return { request: (path, init) => fetch(`${server.url}${path}`, init) };
  },
};

const frames: Channel = {
  name: 'WebSocket frames',
  async open(t, overrides) {
    const server = await startServer(testConfig(overrides));
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, ['switchboard.v1']);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const waiting = new Map<string, (frame: { parsed: ResponseFrame; text: string }) => void>();
    socket.on('message', (data) => {
      const text = String(data);
      const parsed = JSON.parse(text) as ResponseFrame;
      if (typeof parsed.uid === 'string') waiting.get(parsed.uid)?.({ parsed, text });
    });
    t.after(async () => {
      socket.close();
      await server.close();
    });
    let uids = 0;
    return {
      async request(path, init) {
        // The request as fetch would make it: its method, headers and body bytes.
        const request = new Request(`http://frames${path}`, init);
        const body = Buffer.from(await request.arrayBuffer());
        const uid = String(++uids);
        const answered = new Promise<{ parsed: ResponseFrame; text: string }>((resolve) =>
          waiting.set(uid, resolve),
        );
        socket.send(
          JSON.stringify({
            uid,
            m: request.method,
            r: path,
            h: Object.fromEntries(request.headers),
            ...(body.byteLength > 0 ? { d64: body.toString('base64') } : {}),
          }),
        );
        const { parsed, text } = await answered;
        waiting.delete(uid);
        return responseOf(parsed, text);
      },
    };
  },
};

interface ResponseFrame {
  uid?: string;
  c: number;
  h: Record<string, string | string[]>;
  d?: unknown;
  d64?: string;
}

/** A response frame as a fetch Response: its JSON body as the frame's text spells it. */
function responseOf(frame: ResponseFrame, text: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(frame.h)) {
    for (const line of typeof value === 'string' ? [value] : value) headers.append(name, line);
  }
  const bytes =
    frame.d64 !== undefined
      ? Buffer.from(frame.d64, 'base64')
      : 'd' in frame
        ? Buffer.from(jsonMemberText(text, 'd') ?? '')
        : null;
  const bodyless = frame.c === 204 || frame.c === 304;
  return new Response(bodyless ? null : bytes, { status: frame.c, headers });
}

export const CHANNELS: readonly Channel[] = [hono, fastPath, frames];

/**
 * For a test that needs the hub in its own process (a mocked clock, the Hub
 * object itself): it runs once, with the Hono app, and is skipped on the others.
 */
export function inProcessOnly(channel: Channel): { skip: string | false } {
  return { skip: channel === hono ? false : 'needs the hub in process: runs with the Hono app' };
}

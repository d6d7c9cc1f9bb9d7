import { connect as connectTcp, type Socket } from 'node:net';
import WebSocket from 'ws';

/** The subprotocol offered (`null`: none) and the token sent on the upgrade, if any. */
interface ConnectOptions {
  token?: string;
  protocol?: string | null;
}

function connect(baseUrl: string, { token, protocol = 'switchboard.v1' }: ConnectOptions) {
  return new WebSocket(
    `${baseUrl.replace('http', 'ws')}/ws`,
    protocol === null ? [] : [protocol],
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
}

/** A frame the hub sent, parsed. */
export type Received = Record<string, unknown> & { type?: string; uid?: string };

/**
 * A test's WebSocket client: frames are queued as they arrive and taken with
 * `next(match)`, which waits (bounded) for the first frame that matches.
 */
export class WsClient {
  readonly socket: WebSocket;
  readonly #frames: Received[] = [];
  #waiter: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.#frames.push(JSON.parse(String(data)) as Received);
      this.#waiter?.();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  /** Opens a socket to `/ws` of `baseUrl`, with the subprotocol and, if given, a token. */
  static async open(baseUrl: string, options: ConnectOptions = {}): Promise<WsClient> {
    const socket = connect(baseUrl, options);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** The status of a refused upgrade (the socket never opens). */
  static async refusal(baseUrl: string, options: ConnectOptions = {}): Promise<number> {
    const socket = connect(baseUrl, options);
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', () => {});
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first queued or arriving frame that matches; fails after `timeoutMs`. */
  async next(
    match: (frame: Received) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#frames.findIndex(match);
      if (index >= 0) return this.#frames.splice(index, 1)[0] as Received;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Frames received and not yet taken. */
  get pending(): readonly Received[] {
    return this.#frames;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

export const isJob = (frame: Received) => frame.type === 'job';
export const jobOf = (frame: Received) =>
  frame.job as { id: string; attempt: number; originalRequest: unknown; service: string };

/**
 * A WebSocket client that never reads: the upgrade done by hand on a raw socket,
 * which is then paused. For tests of what the hub does with a peer that stops
 * reading.
 */
export async function unreadingSocket(baseUrl: string): Promise<Socket> {
  const url = new URL(baseUrl);
  const socket = connectTcp(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Protocol: switchboard.v1\r\n\r\n',
  );
  let head = '';
  while (!head.includes('\r\n\r\n')) {
    const [chunk] = (await new Promise((resolve) => socket.once('data', (d) => resolve([d])))) as [
      Buffer,
    ];
    head += chunk.toString('latin1');
  }
  if (!head.startsWith('HTTP/1.1 101'))
    throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
  socket.pause();
  return socket;
}

/** One masked text frame (the mask key all zeros, so the payload goes as it is). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length >= 126) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

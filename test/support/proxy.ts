import { connect as connectTcp, createServer, type Socket } from 'node:net';

const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

/**
 * A TCP proxy in front of a hub whose connections a test can cut at once, as a
 * network failure would: both ends see the connection drop, with no close frame.
 * With `refuseWebSockets`, it answers every WebSocket upgrade 404, as a hub or
 * a proxy without WebSockets would.
 */
export class CuttableProxy {
  readonly #connections = new Set<Socket>();
  readonly #server = createServer((client) => {
    this.connections++;
    client.once('data', (first) => {
      if (this.#refuseWebSockets && /^upgrade:\s*websocket/im.test(first.toString('latin1'))) {
        client.end(NOT_FOUND);
        return;
      }
      const upstream = connectTcp(this.#target);
      upstream.write(first);
      this.#link(client, upstream);
    });
  });
  readonly #target: { host: string; port: number };
  readonly #refuseWebSockets: boolean;
  url = '';
  /** Connections accepted so far. */
  connections = 0;

  constructor(target: string, { refuseWebSockets = false } = {}) {
    const { hostname, port } = new URL(target);
    this.#target = { host: hostname, port: Number(port) };
    this.#refuseWebSockets = refuseWebSockets;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  /** Drops every connection through the proxy now; new ones are still accepted. */
  cut(): void {
    for (const socket of this.#connections) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #link(client: Socket, upstream: Socket): void {
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#connections.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.#connections.delete(from);
        to.destroy();
      });
    }
  }
}

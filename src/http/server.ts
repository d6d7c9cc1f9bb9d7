import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Config } from '../config.js';
import type { Hub } from '../core/hub.js';
import { createHub } from '../create-hub.js';
import { createApp } from './app.js';

export interface RunningServer {
  readonly hub: Hub;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Graceful stop: see `Hub#close`, then the listener and its connections close. */
  close(): Promise<void>;
}

/** How long closing connections may take after the grace period before they are cut. */
const CONNECTION_CLOSE_MS = 1000;
const IDLE_SWEEP_MS = 10;

/** Starts the hub's HTTP server and resolves once it listens. */
export async function startServer(
  config: Config,
  hub: Hub = createHub(config),
): Promise<RunningServer> {
  const app = createApp(hub, config);
  // Without createServer/http2 options, serve() makes a node:http server.
  const server = serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    serverOptions: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks both timeouts only this often (30 s by default), which would
      // let a slow-loris client hold a connection for 30 s past its deadline.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.headersTimeoutMs / 2)),
    },
  }) as HttpServer;
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;

  const close = async () => {
    // Keep listening during the grace period: workers may open new connections to answer.
    await hub.close();
    const closed = once(server, 'close');
    server.close();
    // Keep-alive connections turn idle one by one as their last responses finish
    // (the parked polls' 204s among them): close each as soon as it does.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.closeIdleConnections();
    const cutOff = setTimeout(() => server.closeAllConnections(), CONNECTION_CLOSE_MS);
    await closed;
    clearInterval(sweep);
    clearTimeout(cutOff);
  };

  return {
    hub,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

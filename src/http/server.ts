import { once } from 'node:events';
import { createServer, type Server as HttpServer, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { loadTokens } from '../auth.js';
import type { Config } from '../config.js';
import type { Hub } from '../core/hub.js';
import { createHub } from '../create-hub.js';
import { exchangeMatcher } from '../exchange/match.js';
import { exchangeTable } from '../exchange/table.js';
import { CloseCode, WS_SUBPROTOCOL, WS_SUBPROTOCOL_V2 } from '../protocol.js';
import { Access } from './access.js';
import { createApp } from './app.js';
import { type NodeListener, nodeRoutes } from './node-routes.js';
import { wsUpgrade } from './ws-upgrade.js';

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
  const access = new Access(loadTokens(config));
  // Listen only once the store is reachable and its feed live: no call is then missed.
  await hub.opened;
  const table = exchangeTable(hub, config);
  const app = createApp(hub, config, access, table);
  // The table's exchanges go straight to node:http, everything else to the app (node-routes.ts).
  const hot = nodeRoutes(table, access);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.wsMaxFrameBytes,
    // The newest version both sides speak.
    handleProtocols: (offered) =>
      offered.has(WS_SUBPROTOCOL_V2)
        ? WS_SUBPROTOCOL_V2
        : offered.has(WS_SUBPROTOCOL)
          ? WS_SUBPROTOCOL
          : false,
  });
  const stopPings = pingSockets(wss, config.wsPingMs);
  const server = serve({
    fetch: app.fetch,
    // serve() calls it as node:http's createServer(options, listener).
    createServer: ((options: ServerOptions, listener: NodeListener) =>
      createServer(options, (req, res) => hot(req, res, listener))) as typeof createServer,
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
  // Every request with an Upgrade header, on any path, goes here and never to the app.
  server.on(
    'upgrade',
    wsUpgrade(hub, config, access, wss, {
      match: exchangeMatcher(table),
      app: (request) => app.fetch(request),
    }),
  );
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;

  const close = async () => {
    // Keep listening during the grace period: workers may open new connections to answer.
    await hub.close();
    stopPings();
    // Upgraded sockets are no longer the HTTP server's connections: close them here.
    for (const socket of wss.clients) socket.close(CloseCode.GoingAway, 'the hub is shutting down');
    wss.close();
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

/**
 * Pings every WebSocket each `everyMs`; one that has not answered the previous
 * ping by the next is cut, so a half-open socket (a worker's machine gone) is
 * found within two intervals and its jobs are handed on. Returns the stop.
 */
function pingSockets(wss: WebSocketServer, everyMs: number): () => void {
  const answered = new WeakSet<object>();
  wss.on('connection', (socket) => {
    answered.add(socket);
    socket.on('pong', () => answered.add(socket));
  });
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (!answered.has(socket)) {
        socket.terminate();
        continue;
      }
      answered.delete(socket);
      socket.ping();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

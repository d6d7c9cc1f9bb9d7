import WebSocket from 'ws';
import { CloseCode, Header, TOKEN_NEEDED, WS_PATH, WS_SUBPROTOCOL_V2 } from '../protocol.js';
import { authorizationHeader } from './authorization.js';
import { HubClientError, hubError, unreachable, WEBSOCKET_REFUSED } from './errors.js';

/** A frame the hub sent, parsed; which fields it has depends on its `type` (docs/websocket.md). */
export type HubFrame = Record<string, unknown> & { type?: string; uid?: string; id?: string };

/**
 * How often the SDK pings the hub, and how long a ping may go unanswered before
 * the socket is taken for dead: a hub whose machine vanished without a FIN is
 * noticed within two intervals, as the hub notices a silent worker.
 */
const PING_EVERY_MS = 15_000;

/**
 * The error a close stands for when the hub closed over the token: as final as
 * a 401 on HTTP. Undefined for every other close, which a reconnect may heal.
 */
export function closeRefusal(code: number, reason: Buffer): HubClientError | undefined {
  if (code !== CloseCode.Unauthorized) return undefined;
  // The hub's own words (TOKEN_NEEDED, 'unknown token'), as HTTP gives them.
  return hubError(401, 'unauthorized', { error: { message: String(reason) || TOKEN_NEEDED } });
}

/** The WebSocket URL of a hub's channel: `http(s)://host/base` → `ws(s)://host/base/ws`. */
export function webSocketUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}${WS_PATH}`;
}

/**
 * Opens the hub's WebSocket channel with the token on the upgrade. Rejects with
 * the hub's own error when it refuses the upgrade (401, 403, 503 `hub_full`),
 * and with `hub_unreachable` when no answer came.
 */
export function openHubSocket(url: string, token: string | undefined): Promise<WebSocket> {
  const socket = new WebSocket(webSocketUrl(url), [WS_SUBPROTOCOL_V2], {
    headers: authorizationHeader(token),
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.removeAllListeners('error');
      // An error after the open is followed by 'close', which the owner handles.
      socket.on('error', () => {});
      keepAlive(socket);
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        socket.terminate();
        const status = response.statusCode ?? 0;
        const code = response.headers[Header.Error];
        reject(typeof code === 'string' ? refusal(status, code, chunks) : notTheHub(url, status));
      });
    });
    socket.once('error', (error) => reject(unreachable(url, error)));
  });
}

function notTheHub(url: string, status: number): HubClientError {
  return new HubClientError(
    WEBSOCKET_REFUSED,
    `cannot open a WebSocket to ${webSocketUrl(url)}: it was answered ${status}, not by the hub (a proxy that does not pass WebSockets?); use HTTP instead (transport 'http', or call without --ws)`,
    { status },
  );
}

function refusal(status: number, code: string, chunks: Buffer[]): HubClientError {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // The code is what matters; a body we cannot read leaves the generic message.
  }
  return hubError(status, code, body);
}

/** Pings the hub and cuts the socket when the previous ping went unanswered. */
function keepAlive(socket: WebSocket): void {
  let answered = true;
  socket.on('pong', () => {
    answered = true;
  });
  const timer = setInterval(() => {
    if (!answered) {
      socket.terminate();
      return;
    }
    answered = false;
    socket.ping();
  }, PING_EVERY_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

import { upgradeWebSocket } from '@hono/node-server';
import { Hono } from 'hono';
import type { WebSocket } from 'ws';
import type { Hub } from '../core/hub.js';
import { ErrorCode, HubError } from '../errors.js';
import { CloseCode, WS_SUBPROTOCOL } from '../protocol.js';
import type { Dispatch } from '../ws/caller-session.js';
import { Channel } from '../ws/channel.js';
import type { Access } from './access.js';
import type { AppOptions } from './app.js';
import { errorResponse } from './error-status.js';
import { methodNotAllowed } from './method-not-allowed.js';

type WsOptions = Pick<
  AppOptions,
  | 'wsMaxCredit'
  | 'wsMaxInFlight'
  | 'wsMaxSockets'
  | 'wsMaxSocketsPerToken'
  | 'wsMaxFrameBytes'
  | 'headersTimeoutMs'
>;

/**
 * `GET /ws`: the WebSocket channel ([P-WS], docs/websocket.md), for workers and
 * callers alike. The upgrade is authenticated here when it carries a token (any
 * role: each frame is authorised by what it does); without one, where auth is on,
 * the socket's first frame must be `auth`.
 */
export function wsRoutes(hub: Hub, options: WsOptions, access: Access, dispatch: Dispatch): Hono {
  const routes = new Hono();
  let open = 0;
  const perToken = new Map<string, number>();
  const unreadLimit = UNREAD_FRAMES * options.wsMaxFrameBytes;

  routes.get(
    '/',
    (c, next) => {
      const offered = (c.req.header('sec-websocket-protocol') ?? '')
        .split(',')
        .map((p) => p.trim());
      if (!offered.includes(WS_SUBPROTOCOL)) {
        return errorResponse(
          new HubError(
            ErrorCode.InvalidHeader,
            `offer the subprotocol ${WS_SUBPROTOCOL} (Sec-WebSocket-Protocol)`,
          ),
        );
      }
      // Any role may open a socket (each frame is authorised by what it does):
      // only a token that is not known is refused here.
      const authorization = c.req.header('authorization');
      const authenticate = access.authenticate;
      if (authenticate && authorization !== undefined) {
        try {
          c.set('grant', authenticate(authorization));
        } catch (error) {
          if (!(error instanceof HubError)) throw error;
          return errorResponse(error, { 'www-authenticate': 'Bearer' });
        }
      }
      // Per token only where there are tokens; sockets still to send their auth
      // frame share one count, so they cannot crowd out the rest.
      const token = c.get('grant')?.name ?? '';
      const tokenFull = authenticate && (perToken.get(token) ?? 0) >= options.wsMaxSocketsPerToken;
      if (open >= options.wsMaxSockets || tokenFull) {
        return errorResponse(
          new HubError(
            ErrorCode.HubFull,
            'too many WebSockets are open (HUB_WS_MAX_SOCKETS, HUB_WS_MAX_SOCKETS_PER_TOKEN)',
          ),
        );
      }
      return next();
    },
    upgradeWebSocket((c) => {
      const grant = c.get('grant');
      const token = grant?.name ?? '';
      let channel: Channel | undefined;
      return {
        onOpen(_event, ws) {
          open++;
          perToken.set(token, (perToken.get(token) ?? 0) + 1);
          channel = new Channel(
            hub,
            dispatch,
            {
              send: (frame) => send(ws.raw as WebSocket, frame, unreadLimit),
              close: (code, reason) => ws.close(code, reason),
            },
            {
              maxCredit: options.wsMaxCredit,
              maxInFlight: options.wsMaxInFlight,
              authenticate: access.authenticate,
              // As long as an HTTP client gets for its headers.
              authTimeoutMs: options.headersTimeoutMs,
              grant,
              authorization: grant ? c.req.header('authorization') : undefined,
            },
          );
        },
        onMessage(event, ws) {
          if (typeof event.data !== 'string') {
            ws.close(CloseCode.UnsupportedData, 'frames are JSON text');
            return;
          }
          channel?.receive(event.data);
        },
        onClose() {
          open--;
          const left = (perToken.get(token) ?? 1) - 1;
          if (left === 0) perToken.delete(token);
          else perToken.set(token, left);
          void channel?.closed();
        },
      };
    }),
  );
  routes.all('/', access.guard('any', [], methodNotAllowed('GET')));
  return routes;
}

/** Frames' worth of bytes a socket may leave unread before it is cut. */
const UNREAD_FRAMES = 4;

/**
 * Sends a text frame, unless the peer has stopped reading: a socket whose unsent
 * bytes pass `unreadLimit` (a client that sends requests or bad frames and never
 * reads the answers) is cut, rather than growing the hub's memory. Its held jobs
 * are handed on and its requests cancelled, as for any closed socket.
 */
function send(socket: WebSocket, frame: string | Buffer, unreadLimit: number): void {
  if (socket.bufferedAmount > unreadLimit) {
    socket.terminate();
    return;
  }
  socket.send(frame, { binary: false });
}

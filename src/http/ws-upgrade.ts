import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { type Grant, requireTopic } from '../auth.js';
import type { Config } from '../config.js';
import type { Hub } from '../core/hub.js';
import { assertTopicName } from '../core/topics.js';
import { ErrorCode, HubError, isHubError } from '../errors.js';
import { errorReply } from '../exchange/error-status.js';
import { type MessageFilter, versionFilter } from '../exchange/event-filter.js';
import { eachHeader } from '../exchange/reply.js';
import { TOPICS_PATH, WS_PATH, WS_SUBPROTOCOL, WS_SUBPROTOCOL_V2 } from '../protocol.js';
import type { CallerRoutes } from '../ws/caller-session.js';
import { UnsentTotal } from '../ws/send-buffer.js';
import { linkSocket } from '../ws/socket-link.js';
import { serveTopicSocket } from '../ws/topic-socket.js';
import { type Access, repeatsAuthorization } from './access.js';

type UpgradeOptions = Pick<
  Config,
  | 'wsMaxCredit'
  | 'wsMaxInFlight'
  | 'wsMaxSockets'
  | 'wsMaxSocketsPerToken'
  | 'wsMaxUnauthenticated'
  | 'wsMaxFrameBytes'
  | 'wsAllowedOrigins'
  | 'headersTimeoutMs'
  | 'maxBodyBytes'
  | 'wsMaxUnsentBytes'
  | 'wsMaxUnsentTotalBytes'
  | 'wsPingMs'
  | 'compat'
>;

/** What node:http's `upgrade` event hands over: the request, its detached socket, the bytes read past the headers. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Node's `upgrade` event for the whole server ([P-WS-UPGRADE]). Once a server has
 * an `upgrade` listener, Node hands it every request that carries `Upgrade`, on
 * any path, detached from the HTTP parser: a request nobody answers here holds
 * its socket for ever, and one that reached the routes would run a poll or a
 * call whose reply nobody reads. So each is settled at once, synchronously: a
 * WebSocket of `/ws` that passes every check becomes a socket; anything else is
 * answered 400 (or 401, 403, 503) and closed.
 */
export function wsUpgrade(
  hub: Hub,
  options: UpgradeOptions,
  access: Access,
  wss: WebSocketServer,
  routes: CallerRoutes,
): UpgradeListener {
  const counts = new SocketCounts(options, access.enabled);
  const unsent = new UnsentTotal(options.wsMaxUnsentTotalBytes);

  /**
   * Checks an upgrade (`check` throws the refusal, or gives the token's grant)
   * against the socket limits, then makes it a socket and hands it to `serve`;
   * a refused one is answered and closed at once.
   */
  const accept = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    check: () => Grant | undefined,
    serve: (ws: WebSocket, grant: Grant | undefined) => void,
  ) => {
    let grant: Grant | undefined;
    try {
      grant = check();
      counts.admit(grant);
    } catch (error) {
      refuse(socket, error);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      socket.off('error', ignore);
      // As ws's noServer mode asks: the server's own listeners (the pings) see it.
      wss.emit('connection', ws, request);
      serve(ws, grant);
    });
  };

  /**
   * msgbus's subscription ([P-TOPIC-WS]): its clients offer no subprotocol and
   * send no auth frame, so with auth on the token comes with the upgrade, and
   * must list the topic under `subscribe`. The same origin check and socket
   * limits as `/ws`.
   */
  const topicUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer, topic: string) => {
    let after: number | 'new' = 'new';
    let only: MessageFilter;
    const check = () => {
      checkTopicUpgrade(request, options.wsAllowedOrigins);
      assertTopicName(topic);
      after = afterOf(request);
      only = versionFilter(new URL(request.url ?? '/', 'http://h').searchParams.get('version'));
      if (!access.authenticate) return undefined;
      const grant = access.authenticate(request.headers.authorization ?? '');
      requireTopic(grant, 'subscribe', topic);
      return grant;
    };
    accept(request, socket, head, check, (ws, grant) => {
      const token = counts.open(grant);
      ws.on('close', () => counts.close(token));
      serveTopicSocket(ws, socket, hub.topics, topic, after, only);
    });
  };

  /** A `/ws` socket: a token on the upgrade, or an `auth` frame to come ([P-WS-AUTH]). */
  const channelUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const check = () => {
      checkUpgrade(request, options.wsAllowedOrigins);
      const authorization = request.headers.authorization;
      return access.authenticate && authorization !== undefined
        ? access.authenticate(authorization)
        : undefined;
    };
    accept(request, socket, head, check, (ws, grant) => {
      let token = counts.open(grant);
      linkSocket(ws, socket, {
        unsent,
        maxUnsentBytes: options.wsMaxUnsentBytes,
        // As long as a silent socket lives: two pings.
        stallMs: 2 * options.wsPingMs,
        hub,
        routes,
        grant,
        authorization: grant ? request.headers.authorization : undefined,
        authenticate: access.authenticate,
        // As long as an HTTP client gets for its headers.
        authTimeoutMs: options.headersTimeoutMs,
        maxCredit: options.wsMaxCredit,
        maxInFlight: options.wsMaxInFlight,
        maxFrameBytes: options.wsMaxFrameBytes,
        maxBodyBytes: options.maxBodyBytes,
        base64Always: options.compat === 'astrohub',
        binary: ws.protocol === WS_SUBPROTOCOL_V2,
        authenticated: (late) => {
          const moved = counts.move(token, late);
          if (moved !== undefined) token = moved;
          return moved !== undefined;
        },
        closed: () => counts.close(token),
      });
    });
  };

  return (request, socket, head) => {
    socket.on('error', ignore);
    const topic = topicOfUpgrade(request);
    if (topic === undefined) channelUpgrade(request, socket, head);
    else topicUpgrade(request, socket, head, topic);
  };
}

const ignore = () => {};

/** The topic of a msgbus subscriber's upgrade (`GET /topics/<t>`), or undefined for any other path. */
function topicOfUpgrade(request: IncomingMessage): string | undefined {
  const path = (request.url ?? '').split('?', 1)[0] ?? '';
  if (!path.startsWith(`${TOPICS_PATH}/`)) return undefined;
  const topic = path.slice(TOPICS_PATH.length + 1);
  return topic.includes('/') ? undefined : decodeURIComponentSafe(topic);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `?after=<id>` of a subscriber's upgrade: resume after that id; `new` without it. */
function afterOf(request: IncomingMessage): number | 'new' {
  const raw = new URL(request.url ?? '/', 'http://h').searchParams.get('after');
  if (raw === null) return 'new';
  if (!/^(-1|[0-9]{1,15})$/.test(raw)) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `?after must be a message id or -1, got '${raw.slice(0, 40)}'`,
    );
  }
  return Number(raw);
}

/** Throws the refusal for a topic subscription's upgrade the hub does not take. */
function checkTopicUpgrade(request: IncomingMessage, allowedOrigins: readonly string[]): void {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `${TOPICS_PATH}/<topic> upgrades to a WebSocket only`,
    );
  }
  checkMethodAndOrigin(request, allowedOrigins, `${TOPICS_PATH}/<topic>`);
}

/** Throws the refusal for an upgrade the hub does not take. */
function checkUpgrade(request: IncomingMessage, allowedOrigins: readonly string[]): void {
  const path = (request.url ?? '').split('?', 1)[0];
  if (request.headers.upgrade?.toLowerCase() !== 'websocket' || path !== WS_PATH) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `only GET ${WS_PATH} upgrades, to a WebSocket: send this request without Upgrade`,
    );
  }
  checkMethodAndOrigin(request, allowedOrigins, WS_PATH);
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(WS_SUBPROTOCOL_V2) && !offered.includes(WS_SUBPROTOCOL)) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `offer the subprotocol ${WS_SUBPROTOCOL_V2} or ${WS_SUBPROTOCOL} (Sec-WebSocket-Protocol)`,
    );
  }
}

/** What every upgrade must be: a GET, one Authorization header at most, from an allowed origin. */
function checkMethodAndOrigin(
  request: IncomingMessage,
  allowedOrigins: readonly string[],
  path: string,
): void {
  if (request.method !== 'GET') {
    throw new HubError(ErrorCode.MethodNotAllowed, `${path} upgrades on GET only`);
  }
  if (repeatsAuthorization(request.rawHeaders)) {
    throw new HubError(ErrorCode.Unauthorized, 'send one Authorization header, not several');
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !originAllowed(origin, request.headers.host, allowedOrigins)) {
    throw new HubError(
      ErrorCode.Forbidden,
      `WebSockets from the origin '${origin.slice(0, 80)}' are not allowed: list it in HUB_WS_ALLOWED_ORIGINS`,
    );
  }
}

/**
 * A browser always sends `Origin` on a WebSocket upgrade, and CORS does not apply
 * to WebSockets: without this check any page a user visits could serve a service
 * or call one through a hub on their network ([P-WS-ORIGIN]). The hub's own
 * origin (its `Host`), and the ones listed, may.
 */
function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]) {
  const lower = origin.toLowerCase();
  if (allowed.includes('*') || allowed.includes(lower)) return true;
  if (lower === 'null' || host === undefined) return false;
  try {
    return new URL(lower).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Answers an upgrade with the hub's JSON error and closes the connection once it is written. */
function refuse(socket: Duplex, error: unknown): void {
  if (!isHubError(error)) throw error;
  const reply = errorReply(
    error,
    error.code === ErrorCode.Unauthorized ? { 'www-authenticate': 'Bearer' } : {},
  );
  const body = Buffer.from(String(reply.body));
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`];
  eachHeader(reply.headers, (name, value) => lines.push(`${name}: ${value}`));
  lines.push(`content-length: ${body.byteLength}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]), () =>
    socket.destroy(),
  );
}

/** The key sockets still to authenticate are counted under (no token is named ''). */
const UNAUTHENTICATED = Symbol('unauthenticated');
type CountKey = string | typeof UNAUTHENTICATED;

/**
 * Open sockets, in all and per token (`HUB_WS_MAX_SOCKETS`,
 * `HUB_WS_MAX_SOCKETS_PER_TOKEN`); with auth on, sockets still to send their `auth`
 * frame have a count of their own (`HUB_WS_MAX_UNAUTHENTICATED`), and move to
 * their token's when they send it.
 */
class SocketCounts {
  readonly #options: UpgradeOptions;
  readonly #authOn: boolean;
  readonly #byKey = new Map<CountKey, number>();
  #open = 0;

  constructor(options: UpgradeOptions, authOn: boolean) {
    this.#options = options;
    this.#authOn = authOn;
  }

  /** Throws `hub_full` when a socket for `grant` would pass a limit. */
  admit(grant: Grant | undefined): void {
    const key = this.#keyOf(grant);
    if (this.#open >= this.#options.wsMaxSockets || this.#full(key)) {
      throw new HubError(
        ErrorCode.HubFull,
        key === UNAUTHENTICATED
          ? 'too many WebSockets are waiting to authenticate (HUB_WS_MAX_UNAUTHENTICATED)'
          : 'too many WebSockets are open (HUB_WS_MAX_SOCKETS, HUB_WS_MAX_SOCKETS_PER_TOKEN)',
      );
    }
  }

  open(grant: Grant | undefined): CountKey {
    const key = this.#keyOf(grant);
    this.#open++;
    this.#add(key, 1);
    return key;
  }

  /** Moves a socket to the token it authenticated as; undefined when that token is full. */
  move(from: CountKey, grant: Grant): CountKey | undefined {
    const to = grant.name;
    if (this.#full(to)) return undefined;
    this.#add(from, -1);
    this.#add(to, 1);
    return to;
  }

  close(key: CountKey): void {
    this.#open--;
    this.#add(key, -1);
  }

  #keyOf(grant: Grant | undefined): CountKey {
    if (grant) return grant.name;
    return this.#authOn ? UNAUTHENTICATED : '';
  }

  #full(key: CountKey): boolean {
    const count = this.#byKey.get(key) ?? 0;
    if (key === UNAUTHENTICATED) return count >= this.#options.wsMaxUnauthenticated;
    // With auth off there are no tokens to count by: only the total applies.
    return this.#authOn && count >= this.#options.wsMaxSocketsPerToken;
  }

  #add(key: CountKey, delta: number): void {
    const count = (this.#byKey.get(key) ?? 0) + delta;
    if (count <= 0) this.#byKey.delete(key);
    else this.#byKey.set(key, count);
  }
}

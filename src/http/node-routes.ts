import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Grant } from '../auth.js';
import type { CancelSignal } from '../domain/cancel.js';
import { ErrorCode, HubError } from '../errors.js';
import { failureReply } from '../exchange/error-status.js';
import { exchangeMatcher, isPlainTarget, queryParam } from '../exchange/match.js';
import { eachHeader, type Reply, type ReplyStream } from '../exchange/reply.js';
import type { ExchangeRequest } from '../exchange/request.js';
import { RequestHeaders } from '../exchange/request-headers.js';
import type { Exchange } from '../exchange/table.js';
import { corkForATurn } from '../util/cork-for-a-turn.js';
import { ownBytes } from '../util/own-bytes.js';
import { type Access, repeatsAuthorization } from './access.js';
import { responseGone } from './request-gone.js';

/** Hands a request on to the Hono app, which serves every route. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The table's exchanges (exchange/table.ts) served straight on node:http, in
 * front of the Hono app, which serves every route. Building a fetch `Request`
 * and `Response` around each of the three exchanges every call makes (the call,
 * the poll that takes it, the answer) cost the plain one-job worker path a fifth
 * to a third of its throughput (docs/benchmarks.md). The handlers are the
 * table's, as the app's are; only the reading and writing differ. Anything the
 * fast path is not sure to read exactly as Hono would, it hands on to the app
 * unread: a target or Host that @hono/node-server would normalize
 * (percent-encoded, dotted, unusual characters), a chunked or oversized body, a
 * HEAD, a request its token may not make (the app then refuses it with the
 * route's own 401/403). test/http/node-routes.test.ts sends the same requests
 * both ways and compares the responses.
 */
export function nodeRoutes(table: readonly Exchange[], access: Access) {
  const match = exchangeMatcher(table);

  /** Serves `req` if it is an exchange's and can be read exactly; else hands it to `app`. */
  return (req: IncomingMessage, res: ServerResponse, app: NodeListener): void => {
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    const found = readAsSent(req.headers.host, target) ? match(req.method ?? '', path) : undefined;
    const length = req.headers['content-length'];
    const maxBodyBytes = found?.exchange.maxBodyBytes ?? Number.POSITIVE_INFINITY;
    if (
      !found ||
      req.headers['transfer-encoding'] !== undefined ||
      (length !== undefined && Number(length) > maxBodyBytes)
    ) {
      app(req, res);
      return;
    }
    const fail = (error: unknown) => writeReply(res, failureReply(error));
    const serve = (grant: Grant | undefined) => {
      const request = new NodeRequest(req, res, target, queryStart, found.params, grant);
      found.exchange.handle(request).then((reply) => writeReply(res, reply), fail);
    };
    // With auth off nothing is checked: no promise to wait for on the hot path.
    if (!access.enabled) {
      serve(undefined);
      return;
    }
    // Node keeps the first of two Authorization headers and drops the other; the
    // app sees both and refuses them: hand such a request to it, so both agree.
    if (repeatsAuthorization(req.rawHeaders)) {
      app(req, res);
      return;
    }
    const route = {
      param: (name: string) => found.params[name],
      query: (name: string) => queryParam(target, queryStart, name),
    };
    access
      .admit(req.headers.authorization, found.exchange, route)
      .then((admitted) => (admitted ? serve(admitted.grant) : app(req, res)), fail);
  };
}

/**
 * A request the fast path serves, as its handler reads it: one object, where
 * closures over the request would be five functions and their context for
 * each call, kept alive as long as the call is parked.
 */
class NodeRequest implements ExchangeRequest {
  readonly method: string;
  readonly headers: RequestHeaders;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #queryStart: number;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    readonly target: string,
    queryStart: number,
    readonly params: Readonly<Record<string, string>>,
    readonly grant: Grant | undefined,
  ) {
    this.method = req.method ?? '';
    this.headers = new RequestHeaders(req);
    this.#req = req;
    this.#res = res;
    this.#queryStart = queryStart;
  }

  param(name: string): string | undefined {
    return this.params[name];
  }

  query(name: string): string | undefined {
    return queryParam(this.target, this.#queryStart, name);
  }

  body(): Promise<Uint8Array> {
    return readBody(this.#req, Number(this.#req.headers['content-length'] ?? 0));
  }

  gone(): CancelSignal {
    return responseGone(this.#res);
  }
}

/**
 * Whether @hono/node-server would give the app this target as it was sent: it
 * does so only for a plain Host and a plain target without dot segments (its own
 * tests, copied from its `buildUrl`); anything else it normalizes through
 * `new URL` (percent-encoding, `%2e` folded as a dot) or refuses, and the fast
 * path leaves it to it.
 */
function readAsSent(host: string | undefined, target: string): boolean {
  return host !== undefined && isPlainHost(host) && isPlainTarget(target);
}

/** The last Host found plain: a hub's clients nearly all send the same one. */
let plainHost = '';

function isPlainHost(host: string): boolean {
  if (host === plainHost) return true;
  if (!PLAIN_HOST.test(host)) return false;
  plainHost = host;
  return true;
}

const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

/**
 * The body as bytes of its own. Node's parser copies each body chunk into a
 * buffer of exactly that chunk's size, so a body that came as one chunk (any
 * body up to the socket's 64 KiB read) is kept as it came: a copy would cost a
 * second malloc and free per request, for the call and again for its answer. A
 * chunk that is a view into a larger buffer, or a body in several chunks, is
 * copied into one unpooled buffer, so that a queued job holds its own bytes and
 * no one else's. A Buffer, so that writing it to a caller needs no conversion.
 */
function readBody(req: IncomingMessage, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (req.complete && length === 0) {
      resolve(EMPTY_BODY);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // 'end' comes once: `on` spares the wrapper `once` puts around the listener.
    req.on('end', () => resolve(ownBytes(chunks)));
    // A client that leaves mid-body makes Node destroy the request with an error
    // (a second would change nothing: the promise has settled).
    req.on('error', () => reject(new HubError(ErrorCode.Cancelled, 'the client left mid-body')));
  });
}

const EMPTY_BODY = Buffer.alloc(0);

/** A streamed reply: the head at once, then each chunk as it comes, until either side ends. */
function writeStream(
  res: ServerResponse,
  status: number,
  headers: Reply['headers'],
  stream: ReplyStream,
): void {
  const raw: string[] = [];
  eachHeader(headers, (name, value) => raw.push(name, value));
  res.writeHead(status, raw);
  res.flushHeaders();
  const corked = corkForATurn(res, () => res.writableLength);
  const { unsent } = corked;
  const stop = stream.open({
    write: (chunk) => {
      if (res.writableEnded) return unsent();
      corked.write();
      res.write(chunk);
      return unsent();
    },
    unsent,
    end: () => res.end(),
  });
  res.on('close', stop);
}

/** Writes a `Reply` as @hono/node-server writes the `Response` the app makes of it. */
function writeReply(res: ServerResponse, { status, headers, body, stream }: Reply): void {
  if (res.destroyed) return;
  if (stream) {
    writeStream(res, status, headers, stream);
    return;
  }
  const length =
    body === null
      ? undefined
      : typeof body === 'string'
        ? Buffer.byteLength(body)
        : body.byteLength;
  // Node's raw form, names and values in turn: writeHead takes it as it is,
  // where an object costs a copy to add the length and a for-in over it.
  const raw: string[] = [];
  eachHeader(headers, (name, value) => {
    // Only a bodyless reply names its own length: never two lengths on the wire.
    if (length === undefined || name !== 'content-length') raw.push(name, value);
  });
  if (length !== undefined) raw.push('content-length', String(length));
  res.writeHead(status, raw);
  // An empty body is no chunk: Node then sends the head alone, in one write, where
  // an empty chunk costs a gathered write of three pieces.
  res.end(length ? body : undefined);
}

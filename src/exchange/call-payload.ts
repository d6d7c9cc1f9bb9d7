import type { CallPayload } from '../domain/job.js';
import { ErrorCode, HubError } from '../errors.js';
import { flowIdOf, Header, isJsonMediaType } from '../protocol.js';
import { randomHex128 } from '../util/random-hex.js';
import { forwardedRequestHeaders } from './crossing-headers.js';
import type { ExchangeRequest } from './request.js';

// fatal: invalid UTF-8 is invalid JSON. ignoreBOM keeps a BOM in the text, where
// JSON.parse rejects it: the body is spliced into the worker's JSON unchanged.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A caller's body is JSON when it says so, or says nothing (AstroHub's callers sent bare JSON). */
function isJsonContentType(contentType: string | undefined): boolean {
  return contentType === undefined || isJsonMediaType(contentType);
}

export interface PayloadOptions {
  /** The path below the service (`/` for `POST /service/:name`). */
  readonly path: string;
  /**
   * True for `POST /service/:name`: a body that claims to be JSON must be JSON (400
   * otherwise). False for `/call`, which forwards whatever a gateway sends: a body
   * that is not valid JSON then travels as base64, and the worker judges it.
   */
  readonly strictJson: boolean;
}

/** Reads a caller's request into the payload a worker will receive. */
export async function readCallPayload(
  request: ExchangeRequest,
  options: PayloadOptions,
): Promise<CallPayload> {
  const { headers } = request;
  refuseBodyOnGet(request);
  const contentType = headers.get('content-type');
  const body = await request.body();
  let isJson = isJsonContentType(contentType);
  if (isJson && body.byteLength > 0 && !isValidJson(body)) {
    if (options.strictJson) {
      throw new HubError(
        ErrorCode.InvalidJson,
        startsWithBom(body)
          ? 'the body starts with a byte-order mark (EF BB BF), which JSON does not allow: send it without one'
          : 'the body is not valid JSON; send another Content-Type to pass other bytes',
      );
    }
    isJson = false;
  }
  const { target } = request;
  const queryStart = target.indexOf('?');
  return {
    method: request.method,
    path: options.path,
    query: queryStart === -1 ? '' : target.slice(queryStart + 1),
    body,
    contentType,
    isJson,
    headers: forwardedRequestHeaders(headers),
    flowId: flowIdOf(headers.get(Header.TraceParent), headers.get(Header.FlowId)) ?? randomHex128(),
  };
}

/**
 * A GET or HEAD with a body is refused: RFC 9110 gives such a body no meaning,
 * and a fetch-based server (the Hono app) cannot even read it, so forwarding it
 * on one path and dropping it on another would make one request two. One rule,
 * on every path: 400, before the body is read.
 */
function refuseBodyOnGet(request: ExchangeRequest): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  const length = request.headers.get('content-length');
  if ((length !== undefined && length !== '0') || request.headers.get('transfer-encoding')) {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `a ${request.method} request carries no body through the hub: send the body with POST, PUT or PATCH`,
    );
  }
}

function startsWithBom(body: Uint8Array): boolean {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
}

function isValidJson(body: Uint8Array): boolean {
  try {
    JSON.parse(utf8.decode(body));
    return true;
  } catch {
    return false;
  }
}

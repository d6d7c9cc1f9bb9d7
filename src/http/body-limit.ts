import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from '../exchange/error-status.js';
import type { RequestHeaders } from '../exchange/request-headers.js';

/** Checks a request's body size before its handler reads it; see `bodySizeCheck`. */
export type BodySizeCheck = (c: Context, headers: RequestHeaders) => Promise<void> | undefined;

/**
 * Refuses bodies over `maxBytes` with `payload_too_large`.
 *
 * With a Content-Length (nearly every request) the header decides: Node's parser
 * never reads past it, and the handler then reads the body on @hono/node-server's
 * fast path, straight from the socket. Only a body of unknown length (chunked) goes
 * through Hono's bodyLimit, which counts bytes as they stream; it is much slower,
 * because touching `c.req.raw.body` builds a web stream, so it is kept off the
 * common path. Handlers call the check themselves rather than through a
 * middleware: a middleware keeps one more suspended frame per parked call.
 */
export function bodySizeCheck(maxBytes: number): BodySizeCheck {
  const tooLarge = () => payloadTooLarge(maxBytes);
  const countingLimit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  const noop = async () => {};
  return (c, headers) => {
    const length = headers.get('content-length');
    if (length !== undefined) {
      if (Number(length) > maxBytes) throw tooLarge();
      return undefined;
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return undefined;
    // Counts the chunked body into memory up to the limit, then lets the handler read it.
    return countingLimit(c, noop).then(() => undefined);
  };
}

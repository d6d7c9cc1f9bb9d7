import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ErrorCode, HubError } from '../errors.js';
import { RequestHeaders } from './request-headers.js';

/**
 * Refuses bodies over `maxBytes` with `payload_too_large`.
 *
 * With a Content-Length (nearly every request) the header decides: Node's parser
 * never reads past it, and the handler then reads the body on @hono/node-server's
 * fast path, straight from the socket. Only a body of unknown length (chunked) goes
 * through Hono's bodyLimit, which counts bytes as they stream; it is much slower,
 * because touching `c.req.raw.body` builds a web stream, so it is kept off the
 * common path.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () =>
    new HubError(ErrorCode.PayloadTooLarge, `the body is larger than ${maxBytes} bytes`);
  const countingLimit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const length = new RequestHeaders(c).get('content-length');
    if (length !== undefined) {
      if (Number(length) > maxBytes) throw tooLarge();
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return countingLimit(c, next);
  };
}

import { bodyLimit } from 'hono/body-limit';
import { ErrorCode, HubError } from '../errors.js';

/**
 * Hono's body limit trusts Content-Length (Node's parser never reads past it) and
 * counts the bytes of chunked bodies as they stream in.
 */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HubError(ErrorCode.PayloadTooLarge, `the body is larger than ${maxBytes} bytes`);
    },
  });
}

import type { Handler } from 'hono';
import { methodNotAllowedReply } from '../exchange/error-status.js';
import { toResponse } from './response.js';

/** A catch-all for a known path hit with the wrong method: 405 with `Allow`. */
export function methodNotAllowed(...allowed: string[]): Handler {
  return (c) => toResponse(methodNotAllowedReply(c.req.method, allowed));
}

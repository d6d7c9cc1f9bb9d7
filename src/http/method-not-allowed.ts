import type { Handler } from 'hono';
import { ErrorCode, HubError } from '../errors.js';
import { errorResponse } from './error-status.js';

/** A catch-all for a known path hit with the wrong method: 405 with `Allow`. */
export function methodNotAllowed(...allowed: string[]): Handler {
  const allow = allowed.join(', ');
  return (c) =>
    errorResponse(
      new HubError(ErrorCode.MethodNotAllowed, `${c.req.method} is not allowed here; use ${allow}`),
      { allow },
    );
}

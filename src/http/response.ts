import { errorReply } from '../exchange/error-status.js';
import { eachHeader, isRawHeaders, type Reply } from '../exchange/reply.js';

/** A `Reply` as a fetch `Response`, for Hono. */
export function toResponse(reply: Reply): Response {
  return new Response(reply.body, { status: reply.status, headers: headersInit(reply.headers) });
}

/** Any error as the hub's JSON error response; unknown errors become `internal_error`. */
export function errorResponse(error: unknown, extraHeaders: Record<string, string> = {}): Response {
  return toResponse(errorReply(error, extraHeaders));
}

function headersInit(
  headers: Reply['headers'],
): Readonly<Record<string, string>> | [string, string][] {
  if (!isRawHeaders(headers)) return headers;
  const pairs: [string, string][] = [];
  eachHeader(headers, (name, value) => pairs.push([name, value]));
  return pairs;
}

import type { Context } from 'hono';
import type { CallPayload } from '../core/types.js';
import { ErrorCode, HubError } from '../errors.js';

/**
 * Request headers a worker never sees: hop-by-hop headers (RFC 9110 §7.6.1),
 * framing the hub redoes itself, and credentials meant for the hub or gateway.
 * `Content-Type` travels separately as the job's `contentType`; `Hub-*` headers
 * are instructions to the hub.
 */
const WITHHELD_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'expect',
  'authorization',
  'cookie',
]);

// fatal: invalid UTF-8 is invalid JSON. ignoreBOM keeps a BOM in the text, where
// JSON.parse rejects it: the body is spliced into the worker's JSON unchanged.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True for `application/json` and any `+json` media type, whatever its parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const mediaType = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** Reads a caller's request into the payload a worker will receive. */
export async function readCallPayload(c: Context): Promise<CallPayload> {
  const contentType = c.req.header('content-type');
  const body = new Uint8Array(await c.req.arrayBuffer());
  const isJson = isJsonContentType(contentType);
  if (isJson && body.byteLength > 0) assertJson(body);
  return { body, contentType, isJson, headers: forwardedHeaders(c.req.raw.headers) };
}

function assertJson(body: Uint8Array): void {
  try {
    JSON.parse(utf8.decode(body));
  } catch (error) {
    throw new HubError(
      ErrorCode.InvalidJson,
      'the body is not valid JSON; send another Content-Type to pass other bytes',
      { cause: error },
    );
  }
}

function forwardedHeaders(headers: Headers): Record<string, string> {
  const forwarded: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!WITHHELD_HEADERS.has(name) && !name.startsWith('hub-')) forwarded[name] = value;
  });
  return forwarded;
}

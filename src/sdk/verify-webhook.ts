import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, in seconds, before the delivery is refused as a replay. @default 300 */
  readonly toleranceS?: number;
  /** Now, in epoch ms. @default Date.now() */
  readonly now?: number;
}

/**
 * Whether a webhook delivery came from the hub with this secret (Standard
 * Webhooks' scheme, docs/events.md): its `webhook-signature` holds a `v1,`
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the
 * secret, and its timestamp is within `toleranceS` of now. Pass the body's
 * exact bytes, before any JSON parsing.
 *
 * @example
 * if (!verifyWebhook(secret, request.headers, rawBody)) return new Response(null, { status: 401 });
 */
export function verifyWebhook(
  secret: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  body: Uint8Array | string,
  { toleranceS = 300, now = Date.now() }: VerifyWebhookOptions = {},
): boolean {
  const header = (name: string) => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return Array.isArray(value) ? value[0] : (value ?? undefined);
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceS) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(typeof body === 'string' ? Buffer.from(body) : body)
    .digest();
  // Several signatures, space-separated, may be sent while a secret rotates.
  return signatures.split(' ').some((entry) => {
    const [version, encoded] = entry.split(',', 2);
    if (version !== 'v1' || encoded === undefined) return false;
    const given = Buffer.from(encoded, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks' signature (standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 of the
 * HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the secret's bytes
 * (the base64 after `whsec_`). The SDK's `verifyWebhook` checks it.
 */
export function signWebhook(
  secret: string,
  id: string,
  timestampS: number,
  body: Uint8Array,
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestampS}.`)
    .update(body)
    .digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': `v1,${signature}`,
  };
}

/** A new secret: 24 random bytes, as Standard Webhooks spells them. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * A webhook: a topic's messages POSTed to an address by the hub, in order, one
 * at a time, retried, signed (docs/events.md). Plain data, as a store keeps it.
 */
export interface Webhook {
  readonly id: string;
  readonly topic: string;
  readonly address: string;
  /** Standard Webhooks' secret, `whsec_<base64>`: the key signing each delivery. */
  readonly secret: string;
  /** What a delivery's body is: Danketsu's `{Name, Timestamp, Payload}`, or the message's own bytes. */
  readonly format: WebhookFormat;
  readonly createdAt: number;
  /** The last message id delivered or given up on (dead-lettered). */
  readonly after: number;
  /** Message ids of dead letters to deliver again, oldest first (`replay`). */
  readonly replays: readonly number[];
}

export type WebhookFormat = 'danketsu' | 'raw';

/** A message a webhook gave up on after its last attempt. */
export interface DeadLetter {
  readonly messageId: number;
  readonly attempts: number;
  /** Why the last attempt failed: a status, a timeout, a refused address. */
  readonly error: string;
  /** Epoch ms of the last attempt. */
  readonly at: number;
}

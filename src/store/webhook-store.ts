import type { DeadLetter, Webhook, WebhookFormat } from '../domain/webhook.js';

export interface WebhookStoreOptions {
  /** Webhooks registered at once; one more is `too_many_webhooks`. */
  readonly maxWebhooks: number;
  /** Dead letters a webhook keeps; the oldest go first. */
  readonly maxDeadLetters: number;
}

/** A new webhook: where, how, and from which message on. */
export interface NewWebhook {
  readonly topic: string;
  readonly address: string;
  readonly format: WebhookFormat;
  readonly secret: string;
  /** Messages after this id are its to deliver (the topic's last id when it registers). */
  readonly after: number;
}

/**
 * Webhooks and their delivery state, on the same backend as the topics: plain
 * data, one atomic step each, time passed in (the job store's promises,
 * store/job-store.ts). The core delivers; the store remembers how far each
 * webhook got, what it gave up on, and which replica delivers it now (a
 * lease), so that replicas never deliver one webhook's messages twice at once.
 */
export interface WebhookStore {
  /** Registers a webhook; the same topic and address again is the same webhook. Throws `too_many_webhooks`. */
  register(webhook: NewWebhook, now: number): Promise<Webhook>;
  /** Removes the webhook of this topic and address; false if there was none. */
  unregister(topic: string, address: string): Promise<boolean>;
  /** Every webhook, oldest first. */
  list(): Promise<Webhook[]>;
  get(id: string): Promise<Webhook | undefined>;
  /** The webhook has delivered `messageId` (its `after` moves up to it, never down). */
  advance(id: string, messageId: number): Promise<void>;
  /** Gives a message up: kept as a dead letter (at most `maxDeadLetters`), and `after` moves past it. */
  deadLetter(id: string, letter: DeadLetter): Promise<void>;
  deadLetters(id: string): Promise<DeadLetter[]>;
  /**
   * How many dead letters each webhook keeps, by id, for those that keep any:
   * one step, none of them read (`/status` and the metrics ask for it often).
   */
  deadLetterCounts(): Promise<Record<string, number>>;
  /** Moves the dead letters to `replays`, to be delivered again; resolves how many. */
  replay(id: string): Promise<number>;
  /** A replayed message was delivered (or given up again): it leaves `replays`. */
  replayed(id: string, messageId: number): Promise<void>;
  /** Takes or renews the delivery lease until `now + ms` for `owner`; false while another holds it. */
  lease(id: string, owner: string, now: number, ms: number): Promise<boolean>;
  /** Counts a Danketsu `fire` of `event`, for its figures. */
  recordFire(event: string, now: number): Promise<void>;
  /** Fires per event since `since` (epoch ms; at most a day back), by event. */
  fires(since: number, now: number): Promise<Record<string, number>>;
}

import type { TopicMessage } from '../domain/topic.js';
import type { DeadLetter, Webhook, WebhookFormat } from '../domain/webhook.js';
import { ErrorCode, HubError } from '../errors.js';
import { log } from '../log.js';
import { nextMessageId, type TopicStore } from '../store/topic-store.js';
import type { WebhookStore } from '../store/webhook-store.js';
import { assertTopicName } from './topics.js';
import { newWebhookSecret, signWebhook } from './webhook-signature.js';

/** How the hub POSTs a delivery: given to the core, so that the core imports no HTTP client. */
export interface WebhookSender {
  /**
   * POSTs `body` to `address` and resolves the status; rejects with why no
   * status came (a refused address, a timeout, the network).
   */
  post(
    address: string,
    body: Uint8Array,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<number>;
}

export interface WebhookOptions {
  readonly sender: WebhookSender;
  /** This replica's name: whose lease a delivery runs under. */
  readonly replica: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** The wait before the first retry; each next one about twice as long. */
  readonly retryMs: number;
  /** Deliveries in flight at once to one receiver (scheme, host, port), in this replica. */
  readonly maxPerAddress: number;
  readonly now?: () => number;
}

/** The longest wait between two attempts. */
const MAX_RETRY_MS = 5 * 60 * 1000;
/** A delivering replica's lease, renewed at least this often, lasts four times as long (a delivery may take 10 s). */
const LEASE_RENEW_MS = 5000;
/** How often every webhook is looked at (a message heard wakes its topic's at once). */
const SWEEP_MS = 1000;

/**
 * Webhooks ([P-WEBHOOK-*], docs/events.md): each a durable subscription whose
 * messages the hub POSTs to an address, in order, one at a time, signed,
 * retried with exponential backoff and jitter, and kept as dead letters after
 * the last attempt. One replica delivers a webhook at a time (a lease in the
 * store); the store remembers how far it got, so another replica goes on
 * where a dead one stopped (at least once).
 */
export class Webhooks {
  readonly #store: WebhookStore;
  readonly #topics: TopicStore;
  readonly #options: WebhookOptions;
  readonly #now: () => number;
  /** Webhooks this replica is delivering now, by id. */
  readonly #running = new Map<string, Delivering>();
  readonly #perAddress = new Map<string, { active: number; waiting: (() => void)[] }>();
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(store: WebhookStore, topics: TopicStore, options: WebhookOptions) {
    this.#store = store;
    this.#topics = topics;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Starts delivering: every second, and whenever a message of a webhook's topic is heard. */
  start(): void {
    if (this.#sweeper || this.#closed) return;
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    void this.#sweep();
  }

  /**
   * Registers `address` for `topic`'s messages from now on (the same pair
   * again is the same webhook). Throws `invalid_header` for an address that is
   * not an http(s) URL, `too_many_webhooks`.
   */
  async register(topic: string, address: string, format: WebhookFormat): Promise<Webhook> {
    assertTopicName(topic);
    checkAddress(address);
    const now = this.#now();
    const seq = await nextMessageId(this.#topics, topic, now);
    const webhook = await this.#store.register(
      { topic, address, format, secret: newWebhookSecret(), after: seq - 1 },
      now,
    );
    this.start();
    return webhook;
  }

  unregister(topic: string, address: string): Promise<boolean> {
    return this.#store.unregister(topic, address);
  }

  /** Removes the webhook of this id; throws `unknown_webhook`. */
  async remove(id: string): Promise<void> {
    const webhook = await this.#known(id);
    if (!(await this.#store.unregister(webhook.topic, webhook.address))) {
      throw new HubError(ErrorCode.UnknownWebhook, `no webhook '${id}'`);
    }
  }

  list(): Promise<Webhook[]> {
    return this.#store.list();
  }

  async deadLetters(id: string): Promise<DeadLetter[]> {
    await this.#known(id);
    return this.#store.deadLetters(id);
  }

  /** Delivers the webhook's dead letters again, before its next messages; resolves how many. */
  async replay(id: string): Promise<number> {
    await this.#known(id);
    const count = await this.#store.replay(id);
    this.#wakeWebhook(id);
    return count;
  }

  /** How many webhooks there are, and the dead letters they keep, for `/status` and the metrics. */
  async figures(): Promise<{ registered: number; deadLetters: number }> {
    const { registered, deadLetters } = await this.deadLetterSummary();
    return { registered, deadLetters };
  }

  /**
   * The figures, and the webhooks that keep dead letters (most first, at most
   * `limit`), for the dashboard, which offers to replay them.
   */
  async deadLetterSummary(limit = 20): Promise<DeadLetterSummary> {
    const [webhooks, counts] = await Promise.all([
      this.#store.list(),
      this.#store.deadLetterCounts(),
    ]);
    const kept = webhooks
      .map(({ id, topic, address }) => ({ id, topic, address, deadLetters: counts[id] ?? 0 }))
      .filter((w) => w.deadLetters > 0);
    return {
      registered: webhooks.length,
      deadLetters: kept.reduce((sum, w) => sum + w.deadLetters, 0),
      failing: kept.sort((a, b) => b.deadLetters - a.deadLetters).slice(0, limit),
    };
  }

  recordFire(event: string): Promise<void> {
    return this.#store.recordFire(event, this.#now());
  }

  /** Danketsu fires per event in the last 24 hours. */
  fires(): Promise<Record<string, number>> {
    const now = this.#now();
    return this.#store.fires(now - 24 * 60 * 60 * 1000, now);
  }

  /** A message of `topic` was published: its webhooks delivering here look at once. */
  heard(topic: string): void {
    for (const delivering of this.#running.values()) {
      if (delivering.topic === topic) delivering.wake();
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const delivering of this.#running.values()) delivering.stop();
  }

  async #known(id: string): Promise<Webhook> {
    const webhook = await this.#store.get(id);
    if (!webhook) throw new HubError(ErrorCode.UnknownWebhook, `no webhook '${id}'`);
    return webhook;
  }

  #wakeWebhook(id: string): void {
    this.#running.get(id)?.wake();
    void this.#sweep();
  }

  /** Takes the lease of every webhook no replica delivers, and delivers it. */
  async #sweep(): Promise<void> {
    if (this.#closed) return;
    let webhooks: Webhook[];
    try {
      webhooks = await this.#store.list();
    } catch (error) {
      log.debug({ err: error }, 'switchboard: webhooks could not be listed');
      return;
    }
    for (const webhook of webhooks) {
      if (this.#running.has(webhook.id) || this.#closed) continue;
      const leased = await this.#lease(webhook.id);
      if (!leased || this.#running.has(webhook.id)) continue;
      const delivering = new Delivering(webhook.topic);
      this.#running.set(webhook.id, delivering);
      void this.#deliverAll(webhook.id, delivering).finally(() => {
        this.#running.delete(webhook.id);
      });
    }
  }

  #lease(id: string): Promise<boolean> {
    return this.#store
      .lease(id, this.#options.replica, this.#now(), 4 * LEASE_RENEW_MS)
      .catch(() => false);
  }

  /** Delivers a webhook's replays, then its messages, until it has none, loses its lease, or the hub closes. */
  async #deliverAll(id: string, delivering: Delivering): Promise<void> {
    let leasedAt = this.#now();
    while (!delivering.stopped && !this.#closed) {
      const webhook = await this.#store.get(id).catch(() => undefined);
      if (!webhook) return;
      // Renewed as it runs out, not before every message: one store call less per delivery.
      if (this.#now() - leasedAt >= LEASE_RENEW_MS) {
        if (!(await this.#lease(id))) return;
        leasedAt = this.#now();
      }
      const replay = webhook.replays[0];
      if (replay !== undefined) {
        const message = await this.#messageAfter(webhook, replay - 1);
        if (message?.id === replay) await this.#deliver(webhook, message, delivering);
        await this.#store.replayed(id, replay);
        continue;
      }
      const next = await this.#messageAfter(webhook, webhook.after);
      if (!next) {
        // Nothing to deliver: wait for a message of its topic, or the next sweep's lease renewal.
        if (!(await delivering.sleep(LEASE_RENEW_MS))) return;
        continue;
      }
      if (next.id > webhook.after + 1) {
        // Retention removed what lay between: counted as dead letters, never skipped unseen.
        await this.#store.deadLetter(id, {
          messageId: next.id - 1,
          attempts: 0,
          error: `messages ${webhook.after + 1} to ${next.id - 1} were removed by the topic's retention before delivery`,
          at: this.#now(),
        });
      }
      const delivered = await this.#deliver(webhook, next, delivering);
      if (delivered === 'stopped') return;
    }
  }

  #messageAfter(webhook: Webhook, after: number): Promise<TopicMessage | undefined> {
    return this.#topics
      .read(webhook.topic, after, 1, this.#now())
      .then((read) => read.messages[0])
      .catch(() => undefined);
  }

  /**
   * One message, attempt after attempt: delivered (2xx), or a dead letter after
   * the last; `stopped` when the hub closes or the lease is lost meanwhile.
   */
  async #deliver(
    webhook: Webhook,
    message: TopicMessage,
    delivering: Delivering,
  ): Promise<'delivered' | 'dead' | 'stopped'> {
    const body = deliveryBody(webhook, message);
    let error = '';
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      if (attempt > 1) {
        const wait = backoffMs(this.#options.retryMs, attempt - 1);
        if (!(await this.#waitLeased(webhook.id, wait, delivering))) return 'stopped';
      }
      if (delivering.stopped) return 'stopped';
      if (attempt > 1 && !(await this.#lease(webhook.id))) return 'stopped';
      const headers = {
        'content-type':
          webhook.format === 'danketsu' ? 'application/json' : 'application/octet-stream',
        ...signWebhook(
          webhook.secret,
          `msg_${webhook.id}_${message.id}`,
          Math.floor(this.#now() / 1000),
          body,
        ),
      };
      try {
        const status = await this.#limited(webhook.address, () =>
          this.#options.sender.post(webhook.address, body, headers, this.#options.timeoutMs),
        );
        if (status >= 200 && status < 300) {
          await this.#store.advance(webhook.id, message.id);
          return 'delivered';
        }
        error = `the receiver answered ${status}`;
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
      }
      log.debug({ webhook: webhook.id, attempt, error }, 'switchboard: a webhook delivery failed');
    }
    await this.#store.deadLetter(webhook.id, {
      messageId: message.id,
      attempts: this.#options.maxAttempts,
      error,
      at: this.#now(),
    });
    log.warn(
      { webhook: webhook.id, topic: webhook.topic, message: message.id, error },
      'switchboard: a webhook delivery is a dead letter',
    );
    return 'dead';
  }

  /** Waits `ms`, renewing the lease; false when stopped or the lease is lost. */
  async #waitLeased(id: string, ms: number, delivering: Delivering): Promise<boolean> {
    for (let left = ms; left > 0; left -= LEASE_RENEW_MS) {
      if (!(await delivering.pause(Math.min(left, LEASE_RENEW_MS)))) return false;
      if (!(await this.#lease(id))) return false;
    }
    return true;
  }

  /** Runs `post` once fewer than `maxPerAddress` deliveries to its receiver are in flight here. */
  async #limited<T>(address: string, post: () => Promise<T>): Promise<T> {
    const origin = new URL(address).origin;
    const slot = this.#perAddress.get(origin) ?? { active: 0, waiting: [] };
    this.#perAddress.set(origin, slot);
    while (slot.active >= this.#options.maxPerAddress) {
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    }
    slot.active++;
    try {
      return await post();
    } finally {
      slot.active--;
      slot.waiting.shift()?.();
      if (slot.active === 0 && slot.waiting.length === 0) this.#perAddress.delete(origin);
    }
  }
}

/** Webhooks and their dead letters, as the dashboard shows them. */
export interface DeadLetterSummary {
  readonly registered: number;
  readonly deadLetters: number;
  readonly failing: readonly {
    readonly id: string;
    readonly topic: string;
    readonly address: string;
    readonly deadLetters: number;
  }[];
}

/** One webhook being delivered here: woken by its topic's messages, stopped at close. Exported for its test. */
export class Delivering {
  readonly topic: string;
  stopped = false;
  #wake: (() => void) | undefined;
  /**
   * Woken while awake (between a look at the store and the sleep after it):
   * the next sleep ends at once, or the message or replay that woke it would
   * wait for the next lease renewal.
   */
  #woken = false;

  constructor(topic: string) {
    this.topic = topic;
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#woken = true;
  }

  stop(): void {
    this.stopped = true;
    this.#wake?.();
  }

  /** Sleeps up to `ms` or until woken (since it last slept); false once stopped. */
  async sleep(ms: number): Promise<boolean> {
    if (this.stopped) return false;
    if (this.#woken) {
      this.#woken = false;
      return true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
    return !this.stopped;
  }

  /** Waits `ms` whatever wakes it (a retry's backoff); false once stopped. */
  async pause(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await this.sleep(until - Date.now());
    return !this.stopped;
  }
}

/** The wait before retry `n` (from 1): about retryMs × 2^(n-1), between half and all of it, at most 5 minutes. */
export function backoffMs(retryMs: number, n: number): number {
  const ceiling = Math.min(MAX_RETRY_MS, retryMs * 2 ** (n - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** What a delivery POSTs: Danketsu's `{Name, Timestamp, Payload}`, or the message's bytes. */
function deliveryBody(webhook: Webhook, message: TopicMessage): Uint8Array {
  if (webhook.format === 'raw') return message.body;
  return Buffer.from(
    JSON.stringify({
      Name: webhook.topic,
      Timestamp: new Date(message.publishedAt).toISOString(),
      Payload: Buffer.from(message.body).toString('utf8'),
    }),
  );
}

/** Throws `invalid_header` unless `address` is an http or https URL. */
function checkAddress(address: string): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new HubError(
      ErrorCode.InvalidHeader,
      `the address '${address.slice(0, 80)}' is not a URL`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubError(ErrorCode.InvalidHeader, 'a webhook address is an http or https URL');
  }
}

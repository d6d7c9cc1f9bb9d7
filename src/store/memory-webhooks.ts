import { nanoid } from 'nanoid';
import type { DeadLetter, Webhook } from '../domain/webhook.js';
import { topicRefusals } from './refusals.js';
import type { NewWebhook, WebhookStore, WebhookStoreOptions } from './webhook-store.js';

/** How far back fires are counted, and how finely. */
const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

interface WebhookState {
  webhook: Webhook;
  deadLetters: DeadLetter[];
  lease: { owner: string; until: number } | undefined;
}

/** Webhooks in this process's memory (store/webhook-store.ts has the contract). */
export class MemoryWebhooks implements WebhookStore {
  readonly #options: WebhookStoreOptions;
  readonly #byId = new Map<string, WebhookState>();
  /** Fires per event, per minute: at most a day of minutes each. */
  readonly #fires = new Map<string, Map<number, number>>();

  constructor(options: WebhookStoreOptions) {
    this.#options = options;
  }

  async register(webhook: NewWebhook, now: number): Promise<Webhook> {
    const known = this.#find(webhook.topic, webhook.address);
    if (known) return known.webhook;
    if (this.#byId.size >= this.#options.maxWebhooks) {
      throw topicRefusals.tooManyWebhooks(this.#byId.size);
    }
    const made: Webhook = { ...webhook, id: nanoid(), createdAt: now, replays: [] };
    this.#byId.set(made.id, { webhook: made, deadLetters: [], lease: undefined });
    return made;
  }

  async unregister(topic: string, address: string): Promise<boolean> {
    const known = this.#find(topic, address);
    if (!known) return false;
    this.#byId.delete(known.webhook.id);
    return true;
  }

  async list(): Promise<Webhook[]> {
    return [...this.#byId.values()].map((state) => state.webhook);
  }

  async get(id: string): Promise<Webhook | undefined> {
    return this.#byId.get(id)?.webhook;
  }

  async advance(id: string, messageId: number): Promise<void> {
    const state = this.#byId.get(id);
    if (state && messageId > state.webhook.after) {
      state.webhook = { ...state.webhook, after: messageId };
    }
  }

  async deadLetter(id: string, letter: DeadLetter): Promise<void> {
    const state = this.#byId.get(id);
    if (!state) return;
    state.deadLetters.push(letter);
    if (state.deadLetters.length > this.#options.maxDeadLetters) state.deadLetters.shift();
    await this.advance(id, letter.messageId);
  }

  async deadLetters(id: string): Promise<DeadLetter[]> {
    return [...(this.#byId.get(id)?.deadLetters ?? [])];
  }

  async deadLetterCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [id, { deadLetters }] of this.#byId) {
      if (deadLetters.length > 0) counts[id] = deadLetters.length;
    }
    return counts;
  }

  async replay(id: string): Promise<number> {
    const state = this.#byId.get(id);
    if (!state) return 0;
    const ids = state.deadLetters.map((letter) => letter.messageId);
    state.deadLetters = [];
    const replays = [...new Set([...state.webhook.replays, ...ids])].sort((a, b) => a - b);
    state.webhook = { ...state.webhook, replays };
    return ids.length;
  }

  async replayed(id: string, messageId: number): Promise<void> {
    const state = this.#byId.get(id);
    if (!state) return;
    state.webhook = {
      ...state.webhook,
      replays: state.webhook.replays.filter((replay) => replay !== messageId),
    };
  }

  async lease(id: string, owner: string, now: number, ms: number): Promise<boolean> {
    const state = this.#byId.get(id);
    if (!state) return false;
    if (state.lease && state.lease.owner !== owner && state.lease.until > now) return false;
    state.lease = { owner, until: now + ms };
    return true;
  }

  async recordFire(event: string, now: number): Promise<void> {
    const minutes = this.#fires.get(event) ?? new Map<number, number>();
    this.#fires.set(event, minutes);
    const minute = Math.floor(now / MINUTE_MS);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    for (const old of minutes.keys()) {
      if (old > minute - DAY_MS / MINUTE_MS) break;
      minutes.delete(old);
    }
  }

  async fires(since: number, now: number): Promise<Record<string, number>> {
    const from = Math.floor(Math.max(since, now - DAY_MS) / MINUTE_MS);
    const counts: Record<string, number> = {};
    for (const [event, minutes] of this.#fires) {
      let count = 0;
      for (const [minute, fired] of minutes) if (minute >= from) count += fired;
      if (count > 0) counts[event] = count;
    }
    return counts;
  }

  #find(topic: string, address: string): WebhookState | undefined {
    for (const state of this.#byId.values()) {
      if (state.webhook.topic === topic && state.webhook.address === address) return state;
    }
    return undefined;
  }
}

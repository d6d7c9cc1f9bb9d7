import type { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import type { DeadLetter, Webhook } from '../../domain/webhook.js';
import { topicRefusals } from '../refusals.js';
import type { NewWebhook, WebhookStore, WebhookStoreOptions } from '../webhook-store.js';
import { defineScripts, type RunScript } from './define-scripts.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/**
 * The webhook transitions, one Lua script each (KEYS[1]: the hub's hash tag).
 * Keys: `{p}:wh` (id → the webhook's JSON), `{p}:whk` (topic and address →
 * id), `{p}:whdl:<id>` (its dead letters, a list), `{p}:whl:<id>` (the replica
 * delivering it, with the lease's time to live), `{p}:fired` and
 * `{p}:fires:<event>` (Danketsu fires per minute, kept a day).
 */
const SCRIPTS = {
  /** ARGV: the JSON of a new webhook (with its id), its key, maxWebhooks. The webhook's JSON. */
  sbWebhookRegister: `
local K = KEYS[1]
local known = redis.call('HGET', K .. ':whk', ARGV[2])
if known then return redis.call('HGET', K .. ':wh', known) end
if redis.call('HLEN', K .. ':wh') >= tonumber(ARGV[3]) then
  return {'too_many_webhooks', redis.call('HLEN', K .. ':wh')}
end
local webhook = cjson.decode(ARGV[1])
redis.call('HSET', K .. ':wh', webhook.id, ARGV[1])
redis.call('HSET', K .. ':whk', ARGV[2], webhook.id)
return ARGV[1]
`,
  /** ARGV: key. 1 if it was registered. */
  sbWebhookUnregister: `
local K = KEYS[1]
local id = redis.call('HGET', K .. ':whk', ARGV[1])
if not id then return 0 end
redis.call('HDEL', K .. ':whk', ARGV[1])
redis.call('HDEL', K .. ':wh', id)
redis.call('DEL', K .. ':whdl:' .. id, K .. ':whl:' .. id)
return 1
`,
  /** ARGV: id, message id, then (dead letter) its JSON and maxDeadLetters. Moves after up, never down. */
  sbWebhookAdvance: `
local K = KEYS[1]
local json = redis.call('HGET', K .. ':wh', ARGV[1])
if not json then return 0 end
if ARGV[3] then
  redis.call('RPUSH', K .. ':whdl:' .. ARGV[1], ARGV[3])
  redis.call('LTRIM', K .. ':whdl:' .. ARGV[1], -tonumber(ARGV[4]), -1)
end
local webhook = cjson.decode(json)
local id = tonumber(ARGV[2])
if id > webhook.after then
  webhook.after = id
  redis.call('HSET', K .. ':wh', ARGV[1], cjson.encode(webhook))
end
return 1
`,
  /** ARGV: id. Moves the dead letters' ids into replays; how many. */
  sbWebhookReplay: `
local K = KEYS[1]
local json = redis.call('HGET', K .. ':wh', ARGV[1])
if not json then return 0 end
local letters = redis.call('LRANGE', K .. ':whdl:' .. ARGV[1], 0, -1)
redis.call('DEL', K .. ':whdl:' .. ARGV[1])
local webhook = cjson.decode(json)
local replays = {}
local seen = {}
for _, id in ipairs(type(webhook.replays) == 'table' and webhook.replays or {}) do
  if not seen[id] then replays[#replays + 1] = id; seen[id] = true end
end
for _, letter in ipairs(letters) do
  local id = cjson.decode(letter).messageId
  if not seen[id] then replays[#replays + 1] = id; seen[id] = true end
end
table.sort(replays)
webhook.replays = replays
redis.call('HSET', K .. ':wh', ARGV[1], cjson.encode(webhook))
return #letters
`,
  /** ARGV: id, message id. Removes it from replays. */
  sbWebhookReplayed: `
local K = KEYS[1]
local json = redis.call('HGET', K .. ':wh', ARGV[1])
if not json then return 0 end
local webhook = cjson.decode(json)
local left = {}
for _, id in ipairs(type(webhook.replays) == 'table' and webhook.replays or {}) do
  if id ~= tonumber(ARGV[2]) then left[#left + 1] = id end
end
webhook.replays = left
redis.call('HSET', K .. ':wh', ARGV[1], cjson.encode(webhook))
return 1
`,
  /** ARGV: id, owner, ms. 1 when the lease is the owner's (taken or renewed). */
  sbWebhookLease: `
local K = KEYS[1]
if redis.call('HEXISTS', K .. ':wh', ARGV[1]) == 0 then return 0 end
local key = K .. ':whl:' .. ARGV[1]
local holder = redis.call('GET', key)
if holder and holder ~= ARGV[2] then return 0 end
redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
return 1
`,
  /** {id, count, …} for the webhooks that keep dead letters. */
  sbWebhookDeadLetterCounts: `
local K = KEYS[1]
local reply = {}
for _, id in ipairs(redis.call('HKEYS', K .. ':wh')) do
  local count = redis.call('LLEN', K .. ':whdl:' .. id)
  if count > 0 then reply[#reply + 1] = id; reply[#reply + 1] = count end
end
return reply
`,
  /** ARGV: event, minute, day in ms. */
  sbWebhookFire: `
local K = KEYS[1]
local key = K .. ':fires:' .. ARGV[1]
redis.call('HINCRBY', key, ARGV[2], 1)
redis.call('PEXPIRE', key, ARGV[3])
redis.call('SADD', K .. ':fired', ARGV[1])
return 1
`,
  /** ARGV: from minute. {event, count, …} for events fired since. */
  sbWebhookFires: `
local K = KEYS[1]
local reply = {}
for _, event in ipairs(redis.call('SMEMBERS', K .. ':fired')) do
  local key = K .. ':fires:' .. event
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', K .. ':fired', event)
  else
    local count = 0
    local flat = redis.call('HGETALL', key)
    for i = 1, #flat, 2 do
      if tonumber(flat[i]) >= tonumber(ARGV[1]) then count = count + tonumber(flat[i + 1])
      else redis.call('HDEL', key, flat[i]) end
    end
    if count > 0 then reply[#reply + 1] = event; reply[#reply + 1] = count end
  end
end
return reply
`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

/** The webhooks on Redis, on the job store's connection (redis-store.ts owns it). */
export class RedisWebhooks implements WebhookStore {
  readonly #redis: Redis;
  readonly #scripts: Record<ScriptName, RunScript>;
  readonly #key: string;
  readonly #options: WebhookStoreOptions;
  readonly #guard: <T>(call: Promise<T>) => Promise<T>;

  constructor(
    redis: Redis,
    key: string,
    options: WebhookStoreOptions,
    guard: <T>(call: Promise<T>) => Promise<T>,
  ) {
    this.#redis = redis;
    this.#scripts = defineScripts(redis, SCRIPTS);
    this.#key = key;
    this.#options = options;
    this.#guard = guard;
  }

  #run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.#guard(this.#scripts[name](this.#key, ...args));
  }

  async register(webhook: NewWebhook, now: number): Promise<Webhook> {
    const made: Webhook = { ...webhook, id: nanoid(), createdAt: now, replays: [] };
    const reply = (await this.#run(
      'sbWebhookRegister',
      JSON.stringify(made),
      keyOf(webhook.topic, webhook.address),
      this.#options.maxWebhooks,
    )) as string | [string, number];
    if (Array.isArray(reply)) throw topicRefusals.tooManyWebhooks(reply[1]);
    return webhookOf(reply);
  }

  async unregister(topic: string, address: string): Promise<boolean> {
    return (await this.#run('sbWebhookUnregister', keyOf(topic, address))) === 1;
  }

  async list(): Promise<Webhook[]> {
    const all = await this.#guard(this.#redis.hvals(`${this.#key}:wh`));
    return all.map(webhookOf).sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(id: string): Promise<Webhook | undefined> {
    const json = await this.#guard(this.#redis.hget(`${this.#key}:wh`, id));
    return json === null ? undefined : webhookOf(json);
  }

  async advance(id: string, messageId: number): Promise<void> {
    await this.#run('sbWebhookAdvance', id, messageId);
  }

  async deadLetter(id: string, letter: DeadLetter): Promise<void> {
    await this.#run(
      'sbWebhookAdvance',
      id,
      letter.messageId,
      JSON.stringify(letter),
      this.#options.maxDeadLetters,
    );
  }

  async deadLetters(id: string): Promise<DeadLetter[]> {
    const letters = await this.#guard(this.#redis.lrange(`${this.#key}:whdl:${id}`, 0, -1));
    return letters.map((letter) => JSON.parse(letter) as DeadLetter);
  }

  async deadLetterCounts(): Promise<Record<string, number>> {
    return countsOf((await this.#run('sbWebhookDeadLetterCounts')) as (string | number)[]);
  }

  async replay(id: string): Promise<number> {
    return (await this.#run('sbWebhookReplay', id)) as number;
  }

  async replayed(id: string, messageId: number): Promise<void> {
    await this.#run('sbWebhookReplayed', id, messageId);
  }

  async lease(id: string, owner: string, _now: number, ms: number): Promise<boolean> {
    return (await this.#run('sbWebhookLease', id, owner, Math.max(1, Math.round(ms)))) === 1;
  }

  async recordFire(event: string, now: number): Promise<void> {
    await this.#run('sbWebhookFire', event, Math.floor(now / MINUTE_MS), DAY_MS + MINUTE_MS);
  }

  async fires(since: number, now: number): Promise<Record<string, number>> {
    const from = Math.floor(Math.max(since, now - DAY_MS) / MINUTE_MS);
    return countsOf((await this.#run('sbWebhookFires', from)) as (string | number)[]);
  }
}

/** A script's flat `{name, count, …}` reply as an object. */
function countsOf(reply: (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < reply.length; i += 2) counts[String(reply[i])] = Number(reply[i + 1]);
  return counts;
}

function keyOf(topic: string, address: string): string {
  return `${topic}\n${address}`;
}

/** A webhook's JSON as Lua's cjson leaves it (an empty list comes back as `{}`). */
function webhookOf(json: string): Webhook {
  const parsed = JSON.parse(json) as Webhook;
  return { ...parsed, replays: Array.isArray(parsed.replays) ? parsed.replays : [] };
}

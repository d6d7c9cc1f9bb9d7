import type { Redis } from 'ioredis';
import type { EventDocRecord, EventDocStore, EventDocStoreOptions } from '../event-doc-store.js';
import { defineScripts, type RunScript } from './define-scripts.js';

/**
 * Keeps the record unless the hash is full of other services' or would take
 * more than its byte budget: one step, so two replicas cannot overfill it.
 * `<key>:bytes` holds what the hash's values take; both expire together. A
 * hash without it (kept by an older hub) is measured once.
 * ARGV: service, record, maxDocs, ttl ms, maxBytes.
 */
const PUT = `
local bytesKey = KEYS[1] .. ':bytes'
local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
if old == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
local stored = redis.call('GET', bytesKey)
local total = 0
if stored then
  total = tonumber(stored)
else
  for _, value in ipairs(redis.call('HVALS', KEYS[1])) do total = total + #value end
end
total = total - old + #ARGV[2]
if total > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', bytesKey, total, 'PX', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** The hash outlives the last documentation sent by this long: a hub whose workers are all gone leaves nothing for ever. */
const DOCS_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The catalogue's documentation in one hash, `{p}:docs` (service → the record
 * as JSON), shared by every replica (docs/scale-out.md lists it).
 */
export class RedisEventDocs implements EventDocStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #options: EventDocStoreOptions;
  readonly #guard: <T>(call: Promise<T>) => Promise<T>;
  readonly #put: RunScript;

  constructor(
    redis: Redis,
    prefix: string,
    options: EventDocStoreOptions,
    guard: <T>(call: Promise<T>) => Promise<T>,
  ) {
    this.#redis = redis;
    this.#key = `${prefix}:docs`;
    this.#options = options;
    this.#guard = guard;
    this.#put = defineScripts(redis, { sbDocPut: PUT }).sbDocPut;
  }

  async put(service: string, record: EventDocRecord): Promise<boolean> {
    const kept = await this.#guard(
      this.#put(
        this.#key,
        service,
        JSON.stringify(record),
        this.#options.maxDocs,
        DOCS_TTL_MS,
        this.#options.maxBytes,
      ),
    );
    return kept === 1;
  }

  async get(services: readonly string[]): Promise<Map<string, EventDocRecord>> {
    const found = new Map<string, EventDocRecord>();
    if (services.length === 0) return found;
    const values = await this.#guard(this.#redis.hmget(this.#key, ...services));
    for (const [index, value] of values.entries()) {
      if (value !== null) found.set(services[index] as string, JSON.parse(value) as EventDocRecord);
    }
    return found;
  }
}

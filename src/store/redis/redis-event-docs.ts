import type { Redis } from 'ioredis';
import type { EventDocRecord, EventDocStore, EventDocStoreOptions } from '../event-doc-store.js';
import { defineScripts, type RunScript } from './define-scripts.js';

/** Keeps the record unless the hash is full of other services': one step, so two replicas cannot overfill it. */
const PUT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
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
      this.#put(this.#key, service, JSON.stringify(record), this.#options.maxDocs, DOCS_TTL_MS),
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

import type { Redis } from 'ioredis';

/** An argument of a script: strings and numbers go as text, bytes as they are. */
export type ScriptArg = string | number | Uint8Array;

/** Runs one script on its key (KEYS[1]) with its arguments (ARGV). */
export type RunScript = (key: string, ...args: ScriptArg[]) => Promise<unknown>;

/**
 * Defines each script of `sources` on the connection and returns a caller per
 * name. ioredis sends a script by its SHA, and in full once when Redis does not
 * know it (NOSCRIPT, after a restart), so a script is loaded once and stays
 * callable. Every script here takes one key, the hub's hash-tagged prefix (or a
 * key under it), so a script never reaches beyond one Redis Cluster slot.
 * `'bytes'`: replies keep strings as Buffers (message bodies stay byte for byte).
 */
export function defineScripts<Name extends string>(
  redis: Redis,
  sources: Readonly<Record<Name, string>>,
  replies: 'text' | 'bytes' = 'text',
): Record<Name, RunScript> {
  const methods = redis as unknown as Record<string, RunScript>;
  const scripts = {} as Record<Name, RunScript>;
  for (const name of Object.keys(sources) as Name[]) {
    redis.defineCommand(name, { numberOfKeys: 1, lua: sources[name] });
    const method = methods[replies === 'bytes' ? `${name}Buffer` : name];
    if (!method) throw new Error(`ioredis did not define the script ${name}`);
    scripts[name] = method.bind(redis);
  }
  return scripts;
}

/** Each script's source with `prelude` (shared helpers) before it. */
export function withPrelude<Name extends string>(
  prelude: string,
  scripts: Readonly<Record<Name, string>>,
): Record<Name, string> {
  const sources = {} as Record<Name, string>;
  for (const name of Object.keys(scripts) as Name[]) sources[name] = prelude + scripts[name];
  return sources;
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not hold it yet (after
 * a restart or a SCRIPT FLUSH). Scripts are how the adapter makes read-compare-write atomic.
 */
export class RedisScript {
  /** SHA-1 of the source, as Redis names cached scripts. */
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script with `keys` as KEYS and `args` as ARGV. */
  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return client.eval(this.lua, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}

/** Turns a flat `[field, value, field, value …]` reply (HGETALL) into pairs. */
export function replyPairs(reply: unknown): [string, string][] {
  if (!Array.isArray(reply)) return [];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof field === 'string' && typeof value === 'string') out.push([field, value]);
  }
  return out;
}

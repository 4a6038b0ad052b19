import type { Redis } from 'ioredis';
import type { DeadLetter } from '../../contract/schemas.js';
import type { DeadLetterStore } from '../../ports/job-backend.js';
import { guardRedis } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** KEYS: entries, order, seq, tenant order. ARGV: job id, entry JSON. Re-putting moves it to newest. */
const PUT = new RedisScript(`
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
return seq
`);

/** KEYS: entries, order. ARGV: job id, tenant order key prefix. Removes and returns, or nil. */
const TAKE = new RedisScript(`
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', ARGV[2] .. cjson.decode(entry).tenant_id, ARGV[1])
return entry
`);

/**
 * The dead-letter queue `agent.<name>.dlq`: entries in a hash by job id, ordered by sorted sets
 * (all, and per tenant) on a put counter. `take` is one script, so a redrive asked twice runs once.
 * Entries do not expire: an operator redrives or inspects them.
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  readonly name: string;

  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.name = keys.dlqName;
  }

  async put(entry: DeadLetter): Promise<void> {
    await guardRedis('dead letter put', () =>
      PUT.run(
        this.client,
        [this.keys.dlqEntries, this.keys.dlqOrder, this.keys.dlqSeq, this.keys.dlqTenant(entry.tenant_id)],
        [entry.job_id, JSON.stringify(entry)],
      ),
    );
  }

  async list(filter: { tenantId?: string; limit: number }): Promise<DeadLetter[]> {
    const limit = Math.max(0, Math.floor(filter.limit));
    if (limit === 0) return [];
    const order = filter.tenantId === undefined ? this.keys.dlqOrder : this.keys.dlqTenant(filter.tenantId);
    return guardRedis('dead letter list', async () => {
      const ids = await this.client.zrevrange(order, 0, limit - 1);
      if (ids.length === 0) return [];
      const entries = await this.client.hmget(this.keys.dlqEntries, ...ids);
      return entries.filter((e): e is string => e !== null).map((e) => JSON.parse(e) as DeadLetter);
    });
  }

  async get(jobId: string): Promise<DeadLetter | undefined> {
    const entry = await guardRedis('dead letter get', () => this.client.hget(this.keys.dlqEntries, jobId));
    return entry === null ? undefined : (JSON.parse(entry) as DeadLetter);
  }

  async take(jobId: string): Promise<DeadLetter | undefined> {
    const entry = await guardRedis('dead letter take', () =>
      TAKE.run(this.client, [this.keys.dlqEntries, this.keys.dlqOrder], [jobId, this.keys.dlqTenant('')]),
    );
    return typeof entry === 'string' ? (JSON.parse(entry) as DeadLetter) : undefined;
  }
}

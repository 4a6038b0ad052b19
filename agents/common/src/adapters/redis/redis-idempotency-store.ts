import type { Redis } from 'ioredis';
import type { IdempotencyClaim, IdempotencyEntry, IdempotencyStore } from '../../ports/job-backend.js';
import { guardRedis } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript, replyPairs } from './redis-script.js';

/** KEYS: entry. ARGV: fingerprint, ttl ms, job id. Nil when claimed; the holder's fields otherwise. */
const CLAIM = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  local now = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'state', 'pending', 'jobId', ARGV[3], 'claimedAt', now)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return false
end
return redis.call('HGETALL', KEYS[1])
`);

/** KEYS: entry. ARGV: job id, response JSON, ttl ms. Only the live pending claim of that job takes a response. */
const COMPLETE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
if redis.call('HGET', KEYS[1], 'jobId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'completed', 'jobId', ARGV[1], 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

/** KEYS: entry. ARGV: job id. A completed entry stays: its response is what retries must get. */
const RELEASE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'state') == 'pending' and redis.call('HGET', KEYS[1], 'jobId') == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
`);

/**
 * Idempotency keys as Redis hashes with a TTL (PEXPIRE): a claim is "create if absent" in one
 * script, so of many concurrent requests with one key exactly one wins, on any replica.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async claim(
    scopedKey: string,
    fingerprint: string,
    ttlMs: number,
    jobId: string,
  ): Promise<IdempotencyClaim> {
    const reply = await guardRedis('idempotency claim', () =>
      CLAIM.run(this.client, [this.keys.idempotency(scopedKey)], [fingerprint, ttlOf(ttlMs), jobId]),
    );
    if (reply === null) return { claimed: true };
    return { claimed: false, entry: decodeEntry(replyPairs(reply)) };
  }

  async complete(
    scopedKey: string,
    entry: { jobId: string; response: { status: number; body: unknown } },
    ttlMs: number,
  ): Promise<void> {
    await guardRedis('idempotency complete', () =>
      COMPLETE.run(
        this.client,
        [this.keys.idempotency(scopedKey)],
        [entry.jobId, JSON.stringify(entry.response), ttlOf(ttlMs)],
      ),
    );
  }

  async release(scopedKey: string, jobId: string): Promise<void> {
    await guardRedis('idempotency release', () =>
      RELEASE.run(this.client, [this.keys.idempotency(scopedKey)], [jobId]),
    );
  }
}

/** PEXPIRE needs a positive integer. */
function ttlOf(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

function decodeEntry(fields: [string, string][]): IdempotencyEntry {
  const values = new Map(fields);
  const entry: IdempotencyEntry = {
    fingerprint: values.get('fingerprint') ?? '',
    state: values.get('state') === 'completed' ? 'completed' : 'pending',
  };
  const jobId = values.get('jobId');
  const claimedAt = values.get('claimedAt');
  const response = values.get('response');
  if (jobId !== undefined) entry.jobId = jobId;
  if (claimedAt !== undefined) entry.claimedAt = Number(claimedAt);
  if (response !== undefined) entry.response = JSON.parse(response) as { status: number; body: unknown };
  return entry;
}

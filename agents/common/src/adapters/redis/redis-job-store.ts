import type { Redis } from 'ioredis';
import { AgentError } from '../../contract/errors.js';
import { isTerminal, type JobRecord, type JobStatus } from '../../contract/schemas.js';
import type { JobListFilter, JobPatch, JobStore } from '../../ports/job-backend.js';
import { guardRedis } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript, replyPairs } from './redis-script.js';

/** Fields a patch cannot clear: a record without them is not a record. */
const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['status', 'attempts', 'max_attempts', 'deadline_at']);

/** Oldest index members each write looks at, dropping those whose record has expired. */
const PRUNE_SCAN = 4;

// Index members of records that expired (TTL) are dropped lazily: by `list` when it meets them and
// by each create/terminal transition looking at the oldest few members of the indexes it touches.
const PRUNE_LUA = `
local function prune(index, recordPrefix)
  local oldest = redis.call('ZRANGE', index, 0, ${PRUNE_SCAN - 1})
  for _, id in ipairs(oldest) do
    if redis.call('EXISTS', recordPrefix .. id) == 0 then redis.call('ZREM', index, id) end
  end
end
`;

/** KEYS: record, seq, idx, idx:t, idx:s, idx:t:s. ARGV: created ms, job id, ttl ms, record prefix, fields… */
const CREATE = new RedisScript(`${PRUNE_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local seq = redis.call('INCR', KEYS[2]) % 1000
local score = ARGV[1] .. string.format('%03d', seq)
for i = 3, 6 do
  redis.call('ZADD', KEYS[i], score, ARGV[2])
  prune(KEYS[i], ARGV[4])
end
return 1
`);

/**
 * KEYS: record. ARGV: n, n allowed statuses (JSON), new status (JSON or ''), '1' when it is
 * terminal, ttl ms, index key, job id, record prefix, m, m field/value pairs, k, k fields to delete.
 */
const TRANSITION = new RedisScript(`${PRUNE_LUA}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return false end
local n = tonumber(ARGV[1])
local allowed = false
for i = 2, n + 1 do
  if ARGV[i] == current then allowed = true end
end
if not allowed then return false end
local p = n + 2
local nextStatus, terminal, ttl, idx, jobId, recordPrefix = ARGV[p], ARGV[p + 1], tonumber(ARGV[p + 2]), ARGV[p + 3], ARGV[p + 4], ARGV[p + 5]
p = p + 6
local sets = tonumber(ARGV[p])
if sets > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, p + 1, p + 2 * sets)) end
p = p + 2 * sets + 1
local dels = tonumber(ARGV[p])
if dels > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, p + 1, p + dels)) end
if nextStatus ~= '' and nextStatus ~= current then
  local tenant = cjson.decode(redis.call('HGET', KEYS[1], 'tenant_id'))
  local from, to = cjson.decode(current), cjson.decode(nextStatus)
  local score = redis.call('ZSCORE', idx, jobId)
  redis.call('ZREM', idx .. ':s:' .. from, jobId)
  redis.call('ZREM', idx .. ':t:' .. tenant .. ':s:' .. from, jobId)
  if score then
    redis.call('ZADD', idx .. ':s:' .. to, score, jobId)
    redis.call('ZADD', idx .. ':t:' .. tenant .. ':s:' .. to, score, jobId)
  end
  if terminal == '1' then
    prune(idx .. ':s:' .. to, recordPrefix)
    prune(idx .. ':t:' .. tenant .. ':s:' .. to, recordPrefix)
  end
end
if terminal == '1' then
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
elseif terminal == '0' then
  redis.call('PERSIST', KEYS[1])
end
return redis.call('HGETALL', KEYS[1])
`);

/** KEYS: record. ARGV: index key, job id. */
const DELETE = new RedisScript(`
local tenant = redis.call('HGET', KEYS[1], 'tenant_id')
local status = redis.call('HGET', KEYS[1], 'status')
if not tenant or not status then return 0 end
tenant, status = cjson.decode(tenant), cjson.decode(status)
local idx, jobId = ARGV[1], ARGV[2]
redis.call('DEL', KEYS[1])
redis.call('ZREM', idx, jobId)
redis.call('ZREM', idx .. ':t:' .. tenant, jobId)
redis.call('ZREM', idx .. ':s:' .. status, jobId)
redis.call('ZREM', idx .. ':t:' .. tenant .. ':s:' .. status, jobId)
return 1
`);

/** KEYS: index. ARGV: limit, record prefix. Newest first; drops members whose record expired. */
const LIST = new RedisScript(`
local limit = tonumber(ARGV[1])
local batch = math.max(limit, 32)
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZREVRANGE', KEYS[1], start, start + batch - 1)
  if #ids == 0 then break end
  local dropped = 0
  for _, id in ipairs(ids) do
    if #out < limit then
      local record = redis.call('HGETALL', ARGV[2] .. id)
      if #record == 0 then
        redis.call('ZREM', KEYS[1], id)
        dropped = dropped + 1
      else
        out[#out + 1] = record
      end
    end
  end
  start = start + batch - dropped
end
return out
`);

/** Options of {@link RedisJobStore}. */
export interface RedisJobStoreOptions {
  client: Redis;
  keys: RedisKeys;
  /** How long a record is kept once it reached a terminal status. */
  retentionMs: number;
}

/**
 * Job records as Redis hashes (one JSON value per field, so a transition rewrites only what
 * changes and a script never re-encodes user data), indexed by sorted sets on creation time per
 * tenant and status. Transitions are one Lua script: the status check and the write are atomic.
 * Finished records expire after the retention; Postgres is the place for a durable history.
 */
export class RedisJobStore implements JobStore {
  private readonly client: Redis;
  private readonly keys: RedisKeys;

  constructor(private readonly opts: RedisJobStoreOptions) {
    this.client = opts.client;
    this.keys = opts.keys;
  }

  async create(record: JobRecord): Promise<void> {
    const created = await guardRedis('job create', () =>
      CREATE.run(
        this.client,
        [
          this.keys.job(record.job_id),
          this.keys.jobSeq,
          this.keys.jobIndex,
          this.keys.jobIndexFor(record.tenant_id, undefined),
          this.keys.jobIndexFor(undefined, record.status),
          this.keys.jobIndexFor(record.tenant_id, record.status),
        ],
        [
          createdMs(record),
          record.job_id,
          isTerminal(record.status) ? this.opts.retentionMs : 0,
          this.keys.jobPrefix,
          ...encodeFields(record),
        ],
      ),
    );
    if (created !== 1) {
      throw new AgentError('internal', {
        detail: `job ${record.job_id} already exists`,
        retryable: false,
        details: { job_id: record.job_id },
      });
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const fields = await guardRedis('job get', () => this.client.hgetall(this.keys.job(jobId)));
    return Object.keys(fields).length === 0 ? undefined : decodeRecord(Object.entries(fields));
  }

  async transition(
    jobId: string,
    from: readonly JobStatus[],
    patch: JobPatch,
  ): Promise<JobRecord | undefined> {
    if (from.length === 0) return undefined;
    const sets: string[] = [];
    const dels: string[] = [];
    for (const [field, value] of Object.entries(patch)) {
      if (value !== undefined) sets.push(field, JSON.stringify(value));
      else if (!REQUIRED_FIELDS.has(field)) dels.push(field);
    }
    const next = patch.status;
    const terminal = next === undefined ? '' : isTerminal(next) ? '1' : '0';
    const reply = await guardRedis('job transition', () =>
      TRANSITION.run(
        this.client,
        [this.keys.job(jobId)],
        [
          from.length,
          ...from.map((s) => JSON.stringify(s)),
          next === undefined ? '' : JSON.stringify(next),
          terminal,
          this.opts.retentionMs,
          this.keys.jobIndex,
          jobId,
          this.keys.jobPrefix,
          sets.length / 2,
          ...sets,
          dels.length,
          ...dels,
        ],
      ),
    );
    return reply === null ? undefined : decodeRecord(replyPairs(reply));
  }

  async delete(jobId: string): Promise<void> {
    await guardRedis('job delete', () =>
      DELETE.run(this.client, [this.keys.job(jobId)], [this.keys.jobIndex, jobId]),
    );
  }

  async list(filter: JobListFilter): Promise<JobRecord[]> {
    const limit = Math.max(0, Math.floor(filter.limit));
    if (limit === 0) return [];
    const reply = await guardRedis('job list', () =>
      LIST.run(
        this.client,
        [this.keys.jobIndexFor(filter.tenantId, filter.status)],
        [limit, this.keys.jobPrefix],
      ),
    );
    if (!Array.isArray(reply)) return [];
    return reply.map((fields: unknown) => decodeRecord(replyPairs(fields)));
  }
}

function createdMs(record: JobRecord): number {
  const ms = Date.parse(record.created_at);
  return Number.isNaN(ms) ? Date.now() : ms;
}

function encodeFields(record: JobRecord): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(record)) {
    if (value !== undefined) out.push(field, JSON.stringify(value));
  }
  return out;
}

function decodeRecord(fields: Iterable<[string, string]>): JobRecord {
  const record: Record<string, unknown> = {};
  for (const [field, value] of fields) record[field] = JSON.parse(value) as unknown;
  return record as JobRecord;
}

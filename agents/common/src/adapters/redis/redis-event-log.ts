import type { Redis } from 'ioredis';
import {
  SCHEMA_VERSION,
  TERMINAL_EVENT_TYPES,
  type JobEvent,
  type JobEventType,
} from '../../contract/schemas.js';
import type { EventListener, EventLog, NewJobEvent } from '../../ports/job-backend.js';
import { guardRedis } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import type { RedisEventHub } from './redis-event-hub.js';

/**
 * KEYS: stream. ARGV: type, at, data JSON, max length, ttl ms, channel.
 * The entry id `0-*` makes Redis assign `0-1`, `0-2` … in the stream itself: the event id is the
 * entry's sequence number, allocated atomically with the append, gap-free per job. The same script
 * publishes the event, so announcements go out in id order.
 */
const APPEND = new RedisScript(`
local entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '0-*', 't', ARGV[1], 'a', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local id = string.sub(entry, 3)
redis.call('PUBLISH', ARGV[6], id .. ' ' .. ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
return id
`);

/** Options of {@link RedisEventLog}. */
export interface RedisEventLogOptions {
  client: Redis;
  keys: RedisKeys;
  hub: RedisEventHub;
  /** Entries kept per job (approximate trim); older ones are dropped first. */
  maxEventsPerJob: number;
  /** Lifetime of a stream after its terminal event. */
  retentionMs: number;
  /** Lifetime of a stream after any other event, so streams of jobs that never end still go. */
  activeTtlMs: number;
  now: () => number;
}

/**
 * Job events on Redis Streams, one stream per job. Live delivery goes through {@link RedisEventHub}
 * (a pub/sub channel per job on one dedicated connection, with gaps filled from the stream).
 */
export class RedisEventLog implements EventLog {
  constructor(private readonly opts: RedisEventLogOptions) {}

  async append(jobId: string, event: NewJobEvent): Promise<JobEvent> {
    const at = new Date(this.opts.now()).toISOString();
    const data = JSON.stringify(event.data);
    const ttl = TERMINAL_EVENT_TYPES.has(event.type) ? this.opts.retentionMs : this.opts.activeTtlMs;
    const id = await guardRedis('event append', () =>
      APPEND.run(
        this.opts.client,
        [this.opts.keys.events(jobId)],
        [event.type, at, data, this.opts.maxEventsPerJob, ttl, this.opts.keys.eventChannel(jobId)],
      ),
    );
    return {
      schema: SCHEMA_VERSION,
      id: Number(id),
      job_id: jobId,
      type: event.type,
      at,
      data: JSON.parse(data) as Record<string, unknown>,
    };
  }

  async read(jobId: string, afterId: number, limit?: number): Promise<JobEvent[]> {
    return readEvents(this.opts.client, this.opts.keys, jobId, afterId, limit);
  }

  async subscribe(jobId: string, listener: EventListener): Promise<() => void> {
    return this.opts.hub.subscribe(jobId, listener);
  }

  /** Deletes a job's stream (its record was rolled back or removed). */
  async drop(jobId: string): Promise<void> {
    await guardRedis('event drop', () => this.opts.client.unlink(this.opts.keys.events(jobId)));
  }
}

/** Events of one job with id > `afterId`, in order, at most `limit`. */
export async function readEvents(
  client: Redis,
  keys: RedisKeys,
  jobId: string,
  afterId: number,
  limit?: number,
): Promise<JobEvent[]> {
  const from = Math.max(0, Math.floor(afterId)) + 1;
  if (limit !== undefined && limit <= 0) return [];
  const key = keys.events(jobId);
  const entries = await guardRedis('event read', () =>
    limit === undefined
      ? client.xrange(key, `0-${from}`, '+')
      : client.xrange(key, `0-${from}`, '+', 'COUNT', Math.floor(limit)),
  );
  const out: JobEvent[] = [];
  for (const [entryId, fields] of entries) {
    const event = decodeEntry(jobId, entryId, fields);
    if (event) out.push(event);
  }
  return out;
}

/** The id of the newest event of a job (0 when it has none). */
export async function lastEventId(client: Redis, keys: RedisKeys, jobId: string): Promise<number> {
  const newest = await guardRedis('event read', () =>
    client.xrevrange(keys.events(jobId), '+', '-', 'COUNT', 1),
  );
  const entryId = newest[0]?.[0];
  return entryId === undefined ? 0 : sequenceOf(entryId);
}

/** Parses a pub/sub announcement `<id> <type> <at> <data JSON>`. */
export function decodeAnnouncement(jobId: string, message: string): JobEvent | undefined {
  const first = message.indexOf(' ');
  const second = message.indexOf(' ', first + 1);
  const third = message.indexOf(' ', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  return build(
    jobId,
    Number(message.slice(0, first)),
    message.slice(first + 1, second),
    message.slice(second + 1, third),
    message.slice(third + 1),
  );
}

function decodeEntry(jobId: string, entryId: string, fields: string[]): JobEvent | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i];
    const value = fields[i + 1];
    if (field !== undefined && value !== undefined) values.set(field, value);
  }
  return build(jobId, sequenceOf(entryId), values.get('t'), values.get('a'), values.get('d'));
}

function sequenceOf(entryId: string): number {
  return Number(entryId.slice(entryId.indexOf('-') + 1));
}

function build(
  jobId: string,
  id: number,
  type: string | undefined,
  at: string | undefined,
  data: string | undefined,
): JobEvent | undefined {
  if (!Number.isSafeInteger(id) || id < 1 || type === undefined || at === undefined || data === undefined) {
    return undefined;
  }
  return {
    schema: SCHEMA_VERSION,
    id,
    job_id: jobId,
    type: type as JobEventType,
    at,
    data: JSON.parse(data) as Record<string, unknown>,
  };
}

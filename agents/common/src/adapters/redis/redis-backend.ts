import type { Redis, RedisOptions } from 'ioredis';
import { AgentError } from '../../contract/errors.js';
import type { JobRecord, JobStatus } from '../../contract/schemas.js';
import type { JobBackend, JobListFilter, JobPatch, JobStore } from '../../ports/job-backend.js';
import { noopLogger, type Logger } from '../../ports/logger.js';
import type { DependencyCheck } from '../../ports/readiness.js';
import { closeRedis, connectAll, openRedis, type RedisConnectionSettings } from './redis-connections.js';
import { guardRedis } from './redis-errors.js';
import { RedisDeadLetterStore } from './redis-dead-letter-store.js';
import { RedisEventHub } from './redis-event-hub.js';
import { RedisEventLog } from './redis-event-log.js';
import { RedisIdempotencyStore } from './redis-idempotency-store.js';
import { RedisJobStore } from './redis-job-store.js';
import { RedisKeys } from './redis-keys.js';
import { RedisWorkQueue, type RedisWorkerTuning } from './redis-work-queue.js';

/** Default key prefix (and BullMQ prefix). */
export const DEFAULT_REDIS_PREFIX = 'sutazai';

/** Default worker tuning: a killed worker's items come back within about five seconds. */
export const DEFAULT_REDIS_WORKER_TUNING: Readonly<RedisWorkerTuning> = Object.freeze({
  lockDurationMs: 4_000,
  stalledIntervalMs: 1_000,
  maxStalledCount: 1_000_000,
  redeliveryDelayMs: 1_000,
  closeGraceMs: 2_000,
});

/** Options of {@link createRedisBackend}. */
export interface RedisBackendOptions {
  /** Agent name: the queue is `agent.<agent>`, the dead-letter queue `agent.<agent>.dlq`. */
  agent: string;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** First segment of every key; replicas of one agent must share it. Default `sutazai`. */
  prefix?: string;
  /** The job record store to use instead of Redis hashes (e.g. Postgres, the durable record). */
  store?: JobStore;
  logger?: Logger;
  /** Clock for event timestamps. */
  now?: () => number;
  /** Longest wait for Redis at start and per connection attempt. Default 5 s. */
  connectTimeoutMs?: number;
  /** Longest an intake-path command may take. Default 2 s. */
  commandTimeoutMs?: number;
  /** How long finished records and their events are kept. Default 24 h. */
  retentionMs?: number;
  /** Lifetime of the events of a job that never finishes, from its last event. Default 7 days. */
  activeTtlMs?: number;
  /** Events kept per job. Default 10 000. */
  maxEventsPerJob?: number;
  worker?: Partial<RedisWorkerTuning>;
  /** Extra ioredis options (TLS material and the like). */
  redisOptions?: RedisOptions;
}

/** Event ids come from `XADD … 0-*` (an explicit-time, auto-sequence id), new in Redis 7.0. */
async function requireRedis7(client: Redis): Promise<void> {
  const info = await guardRedis('start', () => client.info('server'));
  const version = /redis_version:(\d+)\.(\d+)/.exec(info);
  if (version !== null && Number(version[1]) < 7) {
    throw new AgentError('internal', {
      detail: `the Redis job backend needs Redis 7.0 or newer, found ${version[1]}.${version[2]}`,
      retryable: false,
    });
  }
}

/** Job store that also forgets a job's events when its record is deleted (an intake rollback). */
class StoreDroppingEvents implements JobStore {
  constructor(
    private readonly inner: JobStore,
    private readonly events: RedisEventLog,
  ) {}

  create(record: JobRecord): Promise<void> {
    return this.inner.create(record);
  }

  get(jobId: string): Promise<JobRecord | undefined> {
    return this.inner.get(jobId);
  }

  transition(jobId: string, from: readonly JobStatus[], patch: JobPatch): Promise<JobRecord | undefined> {
    return this.inner.transition(jobId, from, patch);
  }

  async delete(jobId: string): Promise<void> {
    await this.inner.delete(jobId);
    await this.events.drop(jobId);
  }

  list(filter: JobListFilter): Promise<JobRecord[]> {
    return this.inner.list(filter);
  }
}

/**
 * The distributed job backend (a standalone Redis 7 or newer; Cluster is not supported): the
 * work queue on BullMQ, events on Redis Streams with pub/sub
 * wake-ups, idempotency keys and dead letters in Redis, job records in Redis hashes (or the given
 * `store`). Several replicas of an agent on one Redis and prefix share the work. Resolves once Redis
 * answered; rejects with `dependency_unavailable` when it does not within `connectTimeoutMs`.
 */
export async function createRedisBackend(opts: RedisBackendOptions): Promise<JobBackend> {
  if (opts.agent.length === 0) {
    throw new AgentError('internal', {
      detail: 'redis backend needs a non-empty agent name',
      retryable: false,
    });
  }
  const logger = opts.logger ?? noopLogger;
  const keys = new RedisKeys(opts.prefix ?? DEFAULT_REDIS_PREFIX, opts.agent);
  const retentionMs = opts.retentionMs ?? 86_400_000;
  const settings: RedisConnectionSettings = {
    url: opts.url,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
    commandTimeoutMs: opts.commandTimeoutMs ?? 2_000,
    clientName: `${keys.prefix}:${keys.queueName}`,
    logger,
    ...(opts.redisOptions === undefined ? {} : { redisOptions: opts.redisOptions }),
  };
  const client = openRedis(settings, 'command');
  const subscriber = openRedis(settings, 'subscriber');
  await connectAll([client, subscriber], settings.connectTimeoutMs);

  const hub = new RedisEventHub({ subscriber, client, keys, logger });
  const events = new RedisEventLog({
    client,
    keys,
    hub,
    retentionMs,
    activeTtlMs: opts.activeTtlMs ?? 7 * 86_400_000,
    maxEventsPerJob: opts.maxEventsPerJob ?? 10_000,
    now: opts.now ?? Date.now,
  });
  const queue = new RedisWorkQueue({
    name: keys.queueName,
    prefix: keys.prefix,
    connection: client,
    workerConnection: (stopped) => openRedis(settings, 'worker', stopped),
    tuning: { ...DEFAULT_REDIS_WORKER_TUNING, ...opts.worker },
    logger,
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await queue.close();
      await hub.close();
      await Promise.all([closeRedis(client), closeRedis(subscriber)]);
    })();
    return closing;
  };
  try {
    await requireRedis7(client);
    await queue.ready();
  } catch (err) {
    await close();
    throw err;
  }

  const check: DependencyCheck = {
    name: 'redis',
    check: async () => {
      for (const [role, c] of [
        ['command', client],
        ['subscriber', subscriber],
      ] as const) {
        if (c.status !== 'ready') return { ok: false, detail: `${role} connection is ${c.status}` };
      }
      try {
        await client.ping();
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
  };

  return {
    name: opts.store === undefined ? 'redis' : 'redis+store',
    store: new StoreDroppingEvents(opts.store ?? new RedisJobStore({ client, keys, retentionMs }), events),
    events,
    idempotency: new RedisIdempotencyStore(client, keys),
    queue,
    dlq: new RedisDeadLetterStore(client, keys),
    readiness: () => [check],
    close,
  };
}

import pg from 'pg';
import type { AgentConfig } from '../config.js';
import type { JobBackend, JobStore } from '../ports/job-backend.js';
import { noopLogger, type Logger } from '../ports/logger.js';
import type { DependencyCheck } from '../ports/readiness.js';
import { createMemoryBackend } from './memory/memory-backend.js';
import { createPostgresJobStore } from './postgres/postgres-job-store.js';
import { createRedisBackend, type RedisBackendOptions } from './redis/redis-backend.js';

/** Postgres pool settings for {@link createJobBackendFromConfig}. */
export interface PostgresPoolSettings {
  /** Schema of the tables; default: the role's search_path. */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /** Longest wait for a connection; past it a call fails with `dependency_unavailable`. Default 2 s. */
  connectionTimeoutMs?: number;
  /** Longest a query may take on the client side. Default 5 s. */
  queryTimeoutMs?: number;
}

/** Options of {@link createJobBackendFromConfig}. */
export interface JobBackendFromConfigOptions {
  logger?: Logger;
  /** Redis backend settings beyond what the config holds (worker timings, retention…). */
  redis?: Omit<RedisBackendOptions, 'agent' | 'url' | 'store' | 'logger'>;
  postgres?: PostgresPoolSettings;
}

/** What {@link composeBackend} changes about a backend. */
export interface BackendComposition {
  name: string;
  /** Replaces the backend's job store. */
  store?: JobStore;
  /** Checks added to the backend's own. */
  checks?: readonly DependencyCheck[];
  /** Runs after the backend closed (e.g. ends a pool the store uses). */
  close?: () => Promise<void>;
}

/** A backend with another job store, more readiness checks or more to close. */
export function composeBackend(base: JobBackend, with_: BackendComposition): JobBackend {
  let closing: Promise<void> | undefined;
  return {
    name: with_.name,
    store: with_.store ?? base.store,
    events: base.events,
    idempotency: base.idempotency,
    queue: base.queue,
    dlq: base.dlq,
    readiness: () => [...base.readiness(), ...(with_.checks ?? [])],
    close: () => {
      closing ??= (async () => {
        await base.close();
        await with_.close?.();
      })();
      return closing;
    },
  };
}

/**
 * The job backend the config asks for:
 * - neither `REDIS_URL` nor `PG_DSN`: the embedded memory backend (one process, nothing external);
 * - `REDIS_URL`: queue, events, idempotency keys and dead letters in Redis, shared by replicas;
 * - `PG_DSN`: job records in Postgres (the durable history), with Redis for the rest when
 *   `REDIS_URL` is set and memory otherwise.
 * Readiness covers every server used. Rejects with `dependency_unavailable` when a configured
 * server does not answer at start.
 */
export async function createJobBackendFromConfig(
  config: AgentConfig,
  opts: JobBackendFromConfigOptions = {},
): Promise<JobBackend> {
  const logger = opts.logger ?? noopLogger;
  const agent = config.agentName;
  if (config.pgDsn === undefined) {
    if (config.redisUrl === undefined) return createMemoryBackend({ agent, logger });
    return createRedisBackend({ ...opts.redis, agent, url: config.redisUrl, logger });
  }

  const settings = opts.postgres ?? {};
  const pool = new pg.Pool({
    connectionString: config.pgDsn,
    max: settings.maxConnections ?? 10,
    connectionTimeoutMillis: settings.connectionTimeoutMs ?? 2_000,
    query_timeout: settings.queryTimeoutMs ?? 5_000,
    application_name: `sutazai:${agent}`,
  });
  pool.on('error', (err) => logger.warn({ err }, 'idle postgres connection failed'));
  try {
    const store = await createPostgresJobStore({
      db: pool,
      ...(settings.schema === undefined ? {} : { schema: settings.schema }),
    });
    const composition = { checks: [store.readiness()], close: () => pool.end() };
    if (config.redisUrl !== undefined) {
      const redis = await createRedisBackend({ ...opts.redis, agent, url: config.redisUrl, logger, store });
      return composeBackend(redis, { ...composition, name: 'redis+postgres' });
    }
    return composeBackend(createMemoryBackend({ agent, logger }), {
      ...composition,
      name: 'memory+postgres',
      store,
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

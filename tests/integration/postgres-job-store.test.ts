/**
 * The Postgres job store on a real server: the conformance suite over memory+postgres and
 * redis+postgres, migrations racing from several replicas, and what an unreachable server gives.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeBackend } from '../../agents/common/src/adapters/backend-from-config.js';
import { createMemoryBackend } from '../../agents/common/src/adapters/memory/memory-backend.js';
import { createPostgresDocumentRepository } from '../../agents/common/src/adapters/postgres/postgres-document-repository.js';
import { createPostgresJobStore } from '../../agents/common/src/adapters/postgres/postgres-job-store.js';
import { MIGRATIONS, migrate } from '../../agents/common/src/adapters/postgres/postgres-migrations.js';
import { createRedisBackend } from '../../agents/common/src/adapters/redis/redis-backend.js';
import { SCHEMA_VERSION } from '../../agents/common/src/contract/schemas.js';
import { runJobBackendConformance } from '../../agents/common/src/testing/job-backend-conformance.js';
import {
  PG_DSN,
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probePostgres,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';
import { startTcpRelay, viaRelay } from './helpers/tcp-relay.js';

const schema = `test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const prefix = uniquePrefix('pg');
const pools: pg.Pool[] = [];

function newPool(dsn = PG_DSN, max = 5): pg.Pool {
  const pool = new pg.Pool({ connectionString: dsn, max, connectionTimeoutMillis: 1_000 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

const pgProblem = await probePostgres();
const redisProblem = pgProblem ?? (await probeRedis());

describeWithServer('postgres job store', 'Postgres', pgProblem, () => {
  let pool: pg.Pool;

  beforeAll(() => {
    pool = newPool();
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });

  runJobBackendConformance('memory + postgres job store', async () => {
    const store = await createPostgresJobStore({ db: pool, schema });
    return composeBackend(createMemoryBackend({ agent: `c${randomUUID().slice(0, 8)}` }), {
      name: 'memory+postgres',
      store,
      checks: [store.readiness()],
    });
  });

  it('migrates once when eight replicas start together', async () => {
    const raceSchema = `${schema}_race`;
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => migrate(newPool(PG_DSN, 2), raceSchema)),
      );
      const applied = results.flat();
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.version).sort());
      const { rows } = await pool.query<{ version: number }>(
        `SELECT version FROM ${raceSchema}.sutazai_migrations ORDER BY version`,
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${raceSchema} CASCADE`);
    }
  });

  it('stores document metadata next to the jobs', async () => {
    const repo = await createPostgresDocumentRepository({ db: pool, schema });
    const doc = {
      tenantId: 't1',
      documentId: 'd1',
      source: 's',
      contentHash: 'h1',
      chunks: 2,
      ingestedAt: new Date().toISOString(),
    };
    expect(await repo.upsertDocument(doc)).toEqual({ created: true, previousHash: undefined });
    expect(await repo.upsertDocument({ ...doc, contentHash: 'h2' })).toEqual({
      created: false,
      previousHash: 'h1',
    });
    expect(await repo.listDocuments('t1')).toEqual([{ ...doc, contentHash: 'h2' }]);
  });

  it('answers dependency_unavailable quickly when the server goes away, and recovers', async () => {
    const target = new URL(PG_DSN);
    const relay = await startTcpRelay(target.hostname, Number(target.port || 5432));
    const relayedPool = newPool(viaRelay(PG_DSN, relay), 2);
    try {
      const store = await createPostgresJobStore({ db: relayedPool, schema });
      const now = Date.now();
      const record = {
        schema: SCHEMA_VERSION,
        job_id: randomUUID(),
        agent: 'a',
        kind: 'k',
        tenant_id: 't1',
        status: 'queued' as const,
        input: {},
        attempts: 0,
        max_attempts: 1,
        created_at: new Date(now).toISOString(),
        deadline_at: new Date(now + 60_000).toISOString(),
        trace_id: 'trace',
      };
      await store.create(record);

      relay.cut();
      const startedAt = Date.now();
      await expect(store.get(record.job_id)).rejects.toMatchObject({
        code: 'dependency_unavailable',
        status: 503,
      });
      await expect(store.create({ ...record, job_id: randomUUID() })).rejects.toMatchObject({
        code: 'dependency_unavailable',
      });
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(await store.readiness().check(AbortSignal.timeout(2_000))).toMatchObject({ ok: false });

      relay.restore();
      expect(await store.get(record.job_id)).toEqual(record);
    } finally {
      await relay.close();
    }
  });
});

describeWithServer('redis backend with the postgres job store', 'Redis and Postgres', redisProblem, () => {
  let pool: pg.Pool;

  beforeAll(() => {
    pool = newPool();
  });

  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema}_r CASCADE`);
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });

  runJobBackendConformance('redis + postgres job store', async () => {
    const store = await createPostgresJobStore({ db: pool, schema: `${schema}_r` });
    const redis = await createRedisBackend({
      agent: `c${randomUUID().slice(0, 8)}`,
      url: REDIS_URL,
      prefix,
      store,
      worker: { lockDurationMs: 2_000, stalledIntervalMs: 500, redeliveryDelayMs: 50 },
    });
    return composeBackend(redis, { name: 'redis+postgres', checks: [store.readiness()] });
  });
});

/** `createJobBackendFromConfig` against the real servers: which backend each config gives. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createJobBackendFromConfig } from '../../agents/common/src/adapters/backend-from-config.js';
import { loadConfig } from '../../agents/common/src/config.js';
import { SCHEMA_VERSION } from '../../agents/common/src/contract/schemas.js';
import type { JobBackend } from '../../agents/common/src/ports/job-backend.js';
import {
  PG_DSN,
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probePostgres,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';

const prefix = uniquePrefix('config');
const schema = `test_cfg_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const problem = (await probeRedis()) ?? (await probePostgres());

async function readiness(backend: JobBackend): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const check of backend.readiness())
    out[check.name] = (await check.check(AbortSignal.timeout(2_000))).ok;
  return out;
}

async function roundTrip(backend: JobBackend): Promise<void> {
  const now = Date.now();
  const record = {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    agent: 'cfg',
    kind: 'k',
    tenant_id: 't1',
    status: 'queued' as const,
    input: { a: 1 },
    attempts: 0,
    max_attempts: 1,
    created_at: new Date(now).toISOString(),
    deadline_at: new Date(now + 60_000).toISOString(),
    trace_id: 'trace',
  };
  await backend.store.create(record);
  expect(await backend.store.get(record.job_id)).toEqual(record);
}

describeWithServer('job backend from config (servers)', 'Redis and Postgres', problem, () => {
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    const pool = new pg.Pool({ connectionString: PG_DSN });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  const agentName = `cfg${randomUUID().slice(0, 6)}`;
  const config = (env: Record<string, string>) => loadConfig(env, { agentName, port: 11999 });
  const options = { redis: { prefix }, postgres: { schema } };

  it('REDIS_URL alone gives the Redis backend, ready when Redis is', async () => {
    const backend = await createJobBackendFromConfig(config({ REDIS_URL }), options);
    try {
      expect(backend.name).toBe('redis');
      expect(await readiness(backend)).toEqual({ redis: true });
      await roundTrip(backend);
    } finally {
      await backend.close();
    }
  });

  it('PG_DSN alone keeps the records in Postgres and the rest in memory', async () => {
    const backend = await createJobBackendFromConfig(config({ PG_DSN }), options);
    try {
      expect(backend.name).toBe('memory+postgres');
      expect(await readiness(backend)).toEqual({ postgres: true });
      await roundTrip(backend);
    } finally {
      await backend.close();
    }
  });

  it('both give Redis for the work and Postgres for the record, and readiness checks both', async () => {
    const backend = await createJobBackendFromConfig(config({ REDIS_URL, PG_DSN }), options);
    const pool = new pg.Pool({ connectionString: PG_DSN });
    try {
      expect(backend.name).toBe('redis+postgres');
      expect(await readiness(backend)).toEqual({ redis: true, postgres: true });
      await roundTrip(backend);
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.agent_jobs`);
      expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.end();
      await backend.close();
    }
  });
});

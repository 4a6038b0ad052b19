import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, type JobRecord } from '../../contract/schemas.js';
import { runJobBackendConformance } from '../../testing/job-backend-conformance.js';
import { composeBackend } from '../backend-from-config.js';
import { createMemoryBackend } from '../memory/memory-backend.js';
import { createPostgresJobStore } from './postgres-job-store.js';
import { MIGRATIONS, migrate } from './postgres-migrations.js';
import type { SqlDatabase } from './sql-database.js';

// Booting PGlite takes a moment: one in-memory database for the file, a schema per concern.
let shared: Promise<PGlite> | undefined;
const database = (): Promise<PGlite> => (shared ??= PGlite.create());

afterAll(async () => {
  if (shared) await (await shared).close();
});

runJobBackendConformance('memory + postgres job store (pglite)', async () => {
  const store = await createPostgresJobStore({ db: await database(), schema: 'conformance' });
  return composeBackend(createMemoryBackend({ agent: `c${randomUUID().slice(0, 8)}` }), {
    name: 'memory+pglite',
    store,
    checks: [store.readiness()],
  });
});

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    agent: 'a',
    kind: 'k',
    tenant_id: 't1',
    status: 'queued',
    input: { text: 'ünïcödé ✓', list: [], empty: {}, n: 1.5 },
    attempts: 0,
    max_attempts: 3,
    created_at: '2024-05-06T07:08:09.123Z',
    deadline_at: '2024-05-06T07:09:09.123Z',
    trace_id: 'trace',
    ...overrides,
  };
}

describe('postgres job store', () => {
  it('clears nullable fields for undefined patch keys and ignores them for required ones', async () => {
    const store = await createPostgresJobStore({ db: await database(), schema: 'patching' });
    const job = record({
      status: 'failed',
      error: { type: 'about:blank', title: 't', status: 500, code: 'internal', trace_id: 'x' },
      finished_at: '2024-05-06T07:08:10.000Z',
    });
    await store.create(job);
    const back = await store.transition(job.job_id, ['failed'], {
      status: 'queued',
      error: undefined,
      finished_at: undefined,
      attempts: undefined,
      max_attempts: 4,
    });
    expect(back).toEqual({ ...record({ job_id: job.job_id }), max_attempts: 4 });
    expect(back).not.toHaveProperty('error');
    expect(back).not.toHaveProperty('finished_at');
  });

  it('keeps a JSON null result apart from no result, and round-trips metadata and empty containers', async () => {
    const store = await createPostgresJobStore({ db: await database(), schema: 'patching' });
    const job = record({
      metadata: { source: 'test', 'key with space': 'v' },
      parent_job_id: 'p1',
      idempotency_key: 'k',
    });
    await store.create(job);
    expect(await store.get(job.job_id)).toEqual(job);
    const done = await store.transition(job.job_id, ['queued'], { status: 'succeeded', result: null });
    expect(done).toHaveProperty('result', null);
    expect(await store.get(job.job_id)).toEqual({ ...job, status: 'succeeded', result: null });
  });

  it('refuses data Postgres cannot hold as a bad request, not as an outage', async () => {
    const store = await createPostgresJobStore({ db: await database(), schema: 'patching' });
    await expect(store.create(record({ parent_job_id: 'nul\u0000byte' }))).rejects.toMatchObject({
      code: 'bad_request',
      retryable: false,
    });
  });

  it('reports a closed database as dependency_unavailable and not ready', async () => {
    const db = await PGlite.create();
    const store = await createPostgresJobStore({ db });
    const check = store.readiness();
    expect(check.name).toBe('postgres');
    expect(await check.check(AbortSignal.timeout(5_000))).toEqual({ ok: true });
    await db.close();
    await expect(store.get(randomUUID())).rejects.toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
    });
    await expect(store.create(record())).rejects.toMatchObject({ code: 'dependency_unavailable' });
    expect(await check.check(AbortSignal.timeout(5_000))).toMatchObject({ ok: false });
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      createPostgresJobStore({ db: await database(), schema: 'x; DROP TABLE jobs' }),
    ).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('postgres migrations', () => {
  it('apply once, record their versions, and do nothing the second time', async () => {
    const db = await database();
    expect(await migrate(db, 'migrations_once')).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(db, 'migrations_once')).toEqual([]);
    const { rows } = await db.query<{ version: number; name: string }>(
      'SELECT version, name FROM migrations_once.sutazai_migrations ORDER BY version',
    );
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('roll back a migration that fails half-way, leaving nothing of it behind', async () => {
    const db = await database();
    await migrate(db, 'migrations_rollback');
    const broken = [
      ...MIGRATIONS,
      {
        version: 99,
        name: 'broken',
        statements: ['CREATE TABLE {schema}half (id int)', 'SELECT no_such_function()'],
      },
    ];
    await expect(migrate(db, 'migrations_rollback', broken)).rejects.toMatchObject({ code: 'internal' });
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables
       WHERE table_schema = 'migrations_rollback' AND table_name = 'half'`,
    );
    expect(rows[0]?.n).toBe(0);
    const versions = await db.query<{ version: number }>(
      'SELECT version FROM migrations_rollback.sutazai_migrations',
    );
    expect(versions.rows.map((r) => r.version)).not.toContain(99);
  });

  it('needs a database that offers a transaction', async () => {
    const bare: SqlDatabase = { query: async () => ({ rows: [] }) };
    await expect(migrate(bare)).rejects.toMatchObject({ code: 'internal' });
  });
});

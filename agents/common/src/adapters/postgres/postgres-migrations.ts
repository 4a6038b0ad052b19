import { AgentError } from '../../contract/errors.js';
import { guardPostgres, inTransaction, quoteIdent, type SqlDatabase } from './sql-database.js';

/** One schema change. Versions only grow; an applied migration is never edited. */
export interface Migration {
  version: number;
  name: string;
  /** Statements run in order; `{schema}` is replaced by the quoted schema (or nothing). */
  statements: readonly string[];
}

/** The kit's migrations: the job history (`agent_jobs`) and document metadata (`agent_documents`). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs',
    statements: [
      `CREATE TABLE {schema}agent_jobs (
        job_id          text PRIMARY KEY,
        schema_version  text NOT NULL,
        agent           text NOT NULL,
        kind            text NOT NULL,
        tenant_id       text NOT NULL,
        status          text NOT NULL
          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
        input           json NOT NULL,
        result          json,
        error           json,
        attempts        integer NOT NULL,
        max_attempts    integer NOT NULL,
        created_at      timestamptz NOT NULL,
        deadline_at     timestamptz NOT NULL,
        started_at      timestamptz,
        finished_at     timestamptz,
        trace_id        text NOT NULL,
        idempotency_key text,
        parent_job_id   text,
        metadata        jsonb,
        seq             bigint GENERATED ALWAYS AS IDENTITY,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX agent_jobs_tenant_created_idx ON {schema}agent_jobs (tenant_id, created_at DESC, seq DESC)`,
      `CREATE INDEX agent_jobs_status_created_idx ON {schema}agent_jobs (status, created_at DESC, seq DESC)`,
      `CREATE INDEX agent_jobs_created_idx ON {schema}agent_jobs (created_at DESC, seq DESC)`,
      `CREATE INDEX agent_jobs_parent_idx ON {schema}agent_jobs (parent_job_id) WHERE parent_job_id IS NOT NULL`,
    ],
  },
  {
    version: 2,
    name: 'documents',
    statements: [
      `CREATE TABLE {schema}agent_documents (
        tenant_id     text NOT NULL,
        document_id   text NOT NULL,
        source        text NOT NULL,
        content_hash  text NOT NULL,
        chunks        integer NOT NULL CHECK (chunks >= 0),
        ingested_at   timestamptz NOT NULL,
        metadata      jsonb,
        PRIMARY KEY (tenant_id, document_id)
      )`,
      `CREATE INDEX agent_documents_tenant_ingested_idx ON {schema}agent_documents (tenant_id, ingested_at DESC)`,
    ],
  },
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `"schema".` for a schema, or '' to use the connection's search_path. */
export function schemaQualifier(schema: string | undefined): string {
  if (schema === undefined) return '';
  if (!SCHEMA_NAME.test(schema)) {
    throw new AgentError('internal', {
      detail: `postgres schema must match ${SCHEMA_NAME.source}, got ${JSON.stringify(schema)}`,
      retryable: false,
    });
  }
  return `${quoteIdent(schema)}.`;
}

/**
 * Brings the schema up to date: in one transaction, under an advisory lock (so replicas starting
 * together apply each migration once), creates the schema and the `sutazai_migrations` table if
 * missing and applies the migrations not yet recorded there. Safe to run at every start.
 */
export async function migrate(
  db: SqlDatabase,
  schema?: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const q = schemaQualifier(schema);
  return guardPostgres('migrate', () =>
    inTransaction(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sutazai_migrations:${schema ?? ''}`]);
      if (schema !== undefined) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${q}sutazai_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = await tx.query<{ version: number }>(`SELECT version FROM ${q}sutazai_migrations`);
      const applied = new Set(done.rows.map((r) => Number(r.version)));
      const ran: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements) await tx.query(statement.replaceAll('{schema}', q));
        await tx.query(`INSERT INTO ${q}sutazai_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        ran.push(migration.version);
      }
      return ran;
    }),
  );
}

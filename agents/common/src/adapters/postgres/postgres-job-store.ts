import { AgentError } from '../../contract/errors.js';
import type { JobRecord, JobStatus } from '../../contract/schemas.js';
import type { JobListFilter, JobPatch, JobStore } from '../../ports/job-backend.js';
import type { DependencyCheck } from '../../ports/readiness.js';
import { migrate, schemaQualifier } from './postgres-migrations.js';
import {
  guardPostgres,
  isUniqueViolation,
  postgresCheck,
  toPostgresError,
  type SqlDatabase,
  type SqlRow,
} from './sql-database.js';

/** Options of {@link createPostgresJobStore}. */
export interface PostgresJobStoreOptions {
  /** A `pg.Pool` or a PGlite; the caller owns it (and closes it). */
  db: SqlDatabase;
  /** Schema holding the tables (created if missing); default: the connection's search_path. */
  schema?: string;
}

/** A {@link JobStore} on Postgres, with its readiness check. */
export interface PostgresJobStore extends JobStore {
  /** The `postgres` check for `/ready`. */
  readiness(): DependencyCheck;
}

/** How each patchable field is written: its column and how the value is cast. */
const PATCH_COLUMNS: Record<keyof JobPatch, { column: string; cast: string; required: boolean }> = {
  status: { column: 'status', cast: 'text', required: true },
  result: { column: 'result', cast: 'json', required: false },
  error: { column: 'error', cast: 'json', required: false },
  attempts: { column: 'attempts', cast: 'integer', required: true },
  max_attempts: { column: 'max_attempts', cast: 'integer', required: true },
  deadline_at: { column: 'deadline_at', cast: 'timestamptz', required: true },
  started_at: { column: 'started_at', cast: 'timestamptz', required: false },
  finished_at: { column: 'finished_at', cast: 'timestamptz', required: false },
};

/** Timestamps come back as ISO strings whatever the driver's type parsers do. */
const iso = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;

/** JSON comes back as text, so a stored JSON `null` result stays distinct from no result. */
const SELECT_COLUMNS = [
  'job_id',
  'schema_version',
  'agent',
  'kind',
  'tenant_id',
  'status',
  'input::text AS input',
  'result::text AS result',
  'error::text AS error',
  'attempts',
  'max_attempts',
  iso('created_at'),
  iso('deadline_at'),
  iso('started_at'),
  iso('finished_at'),
  'trace_id',
  'idempotency_key',
  'parent_job_id',
  'metadata::text AS metadata',
].join(', ');

interface JobRow extends SqlRow {
  job_id: string;
  schema_version: string;
  agent: string;
  kind: string;
  tenant_id: string;
  status: string;
  input: string;
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  created_at: string;
  deadline_at: string;
  started_at: string | null;
  finished_at: string | null;
  trace_id: string;
  idempotency_key: string | null;
  parent_job_id: string | null;
  metadata: string | null;
}

function toRecord(row: JobRow): JobRecord {
  const record: Record<string, unknown> = {
    schema: row.schema_version,
    job_id: row.job_id,
    agent: row.agent,
    kind: row.kind,
    tenant_id: row.tenant_id,
    status: row.status,
    input: JSON.parse(row.input) as unknown,
    attempts: Number(row.attempts),
    max_attempts: Number(row.max_attempts),
    created_at: row.created_at,
    deadline_at: row.deadline_at,
    trace_id: row.trace_id,
  };
  if (row.result !== null) record.result = JSON.parse(row.result) as unknown;
  if (row.error !== null) record.error = JSON.parse(row.error) as unknown;
  if (row.started_at !== null) record.started_at = row.started_at;
  if (row.finished_at !== null) record.finished_at = row.finished_at;
  if (row.idempotency_key !== null) record.idempotency_key = row.idempotency_key;
  if (row.parent_job_id !== null) record.parent_job_id = row.parent_job_id;
  if (row.metadata !== null) record.metadata = JSON.parse(row.metadata) as unknown;
  return record as JobRecord;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * The durable job history on Postgres (or PGlite). Migrations run before the store is returned.
 * A transition is one `UPDATE … WHERE job_id = $1 AND status = ANY($2) RETURNING …`: the status
 * check and the write are one statement, so of replicas racing for a job exactly one wins. A patch
 * key whose value is `undefined` sets its column to NULL, except for the columns a record cannot
 * lack (status, attempts, max_attempts, deadline_at), where it is ignored.
 */
export async function createPostgresJobStore(opts: PostgresJobStoreOptions): Promise<PostgresJobStore> {
  const { db } = opts;
  const q = schemaQualifier(opts.schema);
  await migrate(db, opts.schema);
  const table = `${q}agent_jobs`;

  const rows = async (operation: string, text: string, params: unknown[]): Promise<JobRow[]> =>
    guardPostgres(operation, async () => (await db.query<JobRow>(text, params)).rows);

  return {
    async create(record) {
      try {
        await db.query(
          `INSERT INTO ${table} (job_id, schema_version, agent, kind, tenant_id, status, input, result, error,
             attempts, max_attempts, created_at, deadline_at, started_at, finished_at, trace_id,
             idempotency_key, parent_job_id, metadata)
           VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8::json, $9::json, $10, $11, $12::timestamptz,
             $13::timestamptz, $14::timestamptz, $15::timestamptz, $16, $17, $18, $19::jsonb)`,
          [
            record.job_id,
            record.schema,
            record.agent,
            record.kind,
            record.tenant_id,
            record.status,
            JSON.stringify(record.input),
            json(record.result),
            json(record.error),
            record.attempts,
            record.max_attempts,
            record.created_at,
            record.deadline_at,
            record.started_at ?? null,
            record.finished_at ?? null,
            record.trace_id,
            record.idempotency_key ?? null,
            record.parent_job_id ?? null,
            json(record.metadata),
          ],
        );
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new AgentError('internal', {
            detail: `job ${record.job_id} already exists`,
            retryable: false,
            details: { job_id: record.job_id },
          });
        }
        throw toPostgresError(err, 'job create');
      }
    },

    async get(jobId) {
      const found = await rows('job get', `SELECT ${SELECT_COLUMNS} FROM ${table} WHERE job_id = $1`, [
        jobId,
      ]);
      return found[0] === undefined ? undefined : toRecord(found[0]);
    },

    async transition(jobId: string, from: readonly JobStatus[], patch: JobPatch) {
      if (from.length === 0) return undefined;
      const params: unknown[] = [jobId, [...from]];
      const sets = ['updated_at = now()'];
      for (const [key, value] of Object.entries(patch)) {
        const spec = Object.hasOwn(PATCH_COLUMNS, key) ? PATCH_COLUMNS[key as keyof JobPatch] : undefined;
        if (spec === undefined || (value === undefined && spec.required)) continue;
        params.push(value === undefined ? null : spec.cast === 'json' ? JSON.stringify(value) : value);
        sets.push(`${spec.column} = $${params.length}::${spec.cast}`);
      }
      const updated = await rows(
        'job transition',
        `UPDATE ${table} SET ${sets.join(', ')} WHERE job_id = $1 AND status = ANY($2::text[])
         RETURNING ${SELECT_COLUMNS}`,
        params,
      );
      return updated[0] === undefined ? undefined : toRecord(updated[0]);
    },

    async delete(jobId) {
      await guardPostgres('job delete', () => db.query(`DELETE FROM ${table} WHERE job_id = $1`, [jobId]));
    },

    async list(filter: JobListFilter) {
      const limit = Math.max(0, Math.floor(filter.limit));
      if (limit === 0) return [];
      const params: unknown[] = [];
      const where: string[] = [];
      if (filter.tenantId !== undefined) {
        params.push(filter.tenantId);
        where.push(`tenant_id = $${params.length}`);
      }
      if (filter.status !== undefined) {
        params.push(filter.status);
        where.push(`status = $${params.length}`);
      }
      params.push(limit);
      const found = await rows(
        'job list',
        `SELECT ${SELECT_COLUMNS} FROM ${table}
         ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY created_at DESC, seq DESC LIMIT $${params.length}`,
        params,
      );
      return found.map(toRecord);
    },

    readiness: () => postgresCheck(db),
  };
}

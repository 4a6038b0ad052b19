import { AgentError } from '../../contract/errors.js';
import type { DependencyCheck } from '../../ports/readiness.js';

/** Row objects as both drivers return them. */
export type SqlRow = Record<string, unknown>;

/** Runs one parameterised statement. `pg.Pool`, `pg.PoolClient`, PGlite and its transactions fit. */
export interface SqlQueryable {
  query<R extends SqlRow = SqlRow>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * The database the Postgres adapters take: a `pg.Pool` (real Postgres) or a PGlite (embedded).
 * Transactions need one connection: a pool lends one (`connect`), PGlite runs a callback in one
 * (`transaction`).
 */
export interface SqlDatabase extends SqlQueryable {
  connect?(): Promise<SqlQueryable & { release(err?: Error | boolean): void }>;
  transaction?<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/** Runs `work` in one transaction on one connection; rolls back when it throws. */
export async function inTransaction<T>(db: SqlDatabase, work: (tx: SqlQueryable) => Promise<T>): Promise<T> {
  if (db.connect !== undefined) {
    const client = await db.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        // A connection that cannot even roll back must not go back to the pool.
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      throw err;
    } finally {
      client.release(broken ?? false);
    }
  }
  if (db.transaction !== undefined) return db.transaction(work);
  throw new AgentError('internal', {
    detail: 'database offers neither connect() nor transaction()',
    retryable: false,
  });
}

/** SQLSTATE classes meaning the server cannot serve right now (connection, resources, shutdown). */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const { code } = err;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when Postgres refused the statement for a unique-constraint violation. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

/**
 * Maps what a query threw to the kit's error. No SQLSTATE (refused or dropped connection, pool
 * timeout, a closed PGlite) or an "unavailable" class → `dependency_unavailable`, so intake answers
 * 503 instead of accepting a job it cannot record; bad data (class 22) → `bad_request`; anything
 * else is a bug or a schema problem → `internal`.
 */
export function toPostgresError(err: unknown, operation: string): AgentError {
  if (err instanceof AgentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  if (state === undefined || UNAVAILABLE_CLASSES.has(state.slice(0, 2))) {
    return new AgentError('dependency_unavailable', {
      detail: `postgres unavailable during ${operation}: ${message}`,
      cause: err,
      retryAfterS: 1,
      details: { dependency: 'postgres' },
    });
  }
  if (state.startsWith('22')) {
    return new AgentError('bad_request', {
      detail: `postgres refused the data of ${operation}: ${message}`,
      cause: err,
      retryable: false,
    });
  }
  return new AgentError('internal', { detail: `postgres ${operation} failed: ${message}`, cause: err });
}

/** Runs one database operation and maps any failure with {@link toPostgresError}. */
export async function guardPostgres<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toPostgresError(err, operation);
  }
}

/** The `/ready` check named `postgres`: a `SELECT 1` answered before the signal aborts. */
export function postgresCheck(db: SqlQueryable): DependencyCheck {
  return {
    name: 'postgres',
    check: async (signal) => {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<{ ok: false; detail: string }>((resolve) => {
        onAbort = () => resolve({ ok: false, detail: 'no answer before the readiness timeout' });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      const probe = db.query('SELECT 1 AS ok').then(
        () => ({ ok: true }) as const,
        (err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }),
      );
      try {
        return await Promise.race([probe, aborted]);
      } finally {
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** Quotes an identifier we made (schema and table names are validated before they get here). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

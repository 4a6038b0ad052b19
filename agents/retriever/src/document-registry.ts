/** What the retriever remembers of an ingested document, to skip re-embedding it when unchanged. */
export interface DocumentRecord {
  tenantId: string;
  documentId: string;
  source: string;
  /** {@link documentContentHash} of the ingested version. */
  contentHash: string;
  /** How many chunks that version was cut into. */
  chunks: number;
}

/**
 * The per-tenant table of ingested documents of one vector space (one embedder). It only ever
 * lets the retriever skip work: a missing or stale record costs a re-embedding, never a wrong
 * answer, because a skip is also checked against the chunks the store holds.
 */
export interface DocumentRegistry {
  /** Creates the table when missing. Idempotent. */
  init(): Promise<void>;
  get(tenantId: string, documentId: string): Promise<DocumentRecord | undefined>;
  /** Inserts or replaces the record of (tenant, document). */
  put(record: DocumentRecord): Promise<void>;
  /** Forgets the record; resolves to whether there was one. */
  remove(tenantId: string, documentId: string): Promise<boolean>;
}

/** What the registry needs of a PGlite (or `pg`) connection. */
export interface SqlConnection {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

/** Table of the registry; one table serves every vector space, keyed by the space's name. */
export const DOCUMENT_TABLE = 'rag_documents';

const MIGRATION = `
CREATE TABLE IF NOT EXISTS ${DOCUMENT_TABLE} (
  tenant_id    text        NOT NULL,
  space        text        NOT NULL,
  document_id  text        NOT NULL,
  source       text        NOT NULL,
  content_hash text        NOT NULL,
  chunks       integer     NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, space, document_id)
);`;

interface Row {
  source: string;
  content_hash: string;
  chunks: number;
}

/**
 * The registry as a table in a Postgres database — the retriever keeps it in the same PGlite as
 * the chunks when the store is PGlite, so both live and persist together. `space` names the vector
 * space (see `vectorSpaceName`) the records describe.
 */
export function createSqlDocumentRegistry(db: SqlConnection, space: string): DocumentRegistry {
  let migrated: Promise<unknown> | undefined;
  const ready = (): Promise<unknown> => {
    migrated ??= db.exec(MIGRATION).catch((err: unknown) => {
      migrated = undefined;
      throw err;
    });
    return migrated;
  };
  return {
    async init(): Promise<void> {
      await ready();
    },

    async get(tenantId: string, documentId: string): Promise<DocumentRecord | undefined> {
      await ready();
      const res = await db.query<Row>(
        `SELECT source, content_hash, chunks FROM ${DOCUMENT_TABLE}
WHERE tenant_id = $1 AND space = $2 AND document_id = $3`,
        [tenantId, space, documentId],
      );
      const row = res.rows[0];
      if (row === undefined) return undefined;
      return { tenantId, documentId, source: row.source, contentHash: row.content_hash, chunks: row.chunks };
    },

    async put(record: DocumentRecord): Promise<void> {
      await ready();
      await db.query(
        `INSERT INTO ${DOCUMENT_TABLE} (tenant_id, space, document_id, source, content_hash, chunks)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, space, document_id) DO UPDATE SET
  source = EXCLUDED.source, content_hash = EXCLUDED.content_hash, chunks = EXCLUDED.chunks,
  updated_at = now()`,
        [record.tenantId, space, record.documentId, record.source, record.contentHash, record.chunks],
      );
    },

    async remove(tenantId: string, documentId: string): Promise<boolean> {
      await ready();
      const res = await db.query(
        `DELETE FROM ${DOCUMENT_TABLE} WHERE tenant_id = $1 AND space = $2 AND document_id = $3`,
        [tenantId, space, documentId],
      );
      return (res.affectedRows ?? 0) > 0;
    },
  };
}

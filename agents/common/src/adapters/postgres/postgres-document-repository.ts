import { migrate, schemaQualifier } from './postgres-migrations.js';
import { guardPostgres, type SqlDatabase, type SqlRow } from './sql-database.js';

/** What is known about one ingested document (its chunks live in the vector store). */
export interface DocumentRecord {
  tenantId: string;
  documentId: string;
  /** Where it came from (path, URL, upload name). */
  source: string;
  /** Hash of the content that was chunked, to skip re-ingesting an unchanged document. */
  contentHash: string;
  /** Number of chunks stored for it. */
  chunks: number;
  /** RFC 3339 time of the last ingestion. */
  ingestedAt: string;
  metadata?: Record<string, string>;
}

/** Outcome of {@link DocumentRepository.upsertDocument}. */
export interface UpsertOutcome {
  /** True when the document was new. */
  created: boolean;
  /** Content hash stored before this upsert (undefined when new): equal means unchanged. */
  previousHash: string | undefined;
}

/** Document metadata of ingested documents, per tenant. */
export interface DocumentRepository {
  /** Inserts or replaces the metadata of a document. */
  upsertDocument(doc: DocumentRecord): Promise<UpsertOutcome>;
  /** The document, or undefined. */
  getDocument(tenantId: string, documentId: string): Promise<DocumentRecord | undefined>;
  /** A tenant's documents, most recently ingested first. */
  listDocuments(tenantId: string, opts?: { limit?: number }): Promise<DocumentRecord[]>;
  /** Forgets a document; true when there was one. */
  deleteDocument(tenantId: string, documentId: string): Promise<boolean>;
}

/** Options of {@link createPostgresDocumentRepository}. */
export interface PostgresDocumentRepositoryOptions {
  /** A `pg.Pool` or a PGlite; the caller owns it. */
  db: SqlDatabase;
  /** Schema holding the tables (created if missing); default: the connection's search_path. */
  schema?: string;
}

interface DocumentRow extends SqlRow {
  tenant_id: string;
  document_id: string;
  source: string;
  content_hash: string;
  chunks: number;
  ingested_at: string;
  metadata: string | null;
}

const COLUMNS = `tenant_id, document_id, source, content_hash, chunks,
  to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ingested_at,
  metadata::text AS metadata`;

function toDocument(row: DocumentRow): DocumentRecord {
  const doc: DocumentRecord = {
    tenantId: row.tenant_id,
    documentId: row.document_id,
    source: row.source,
    contentHash: row.content_hash,
    chunks: Number(row.chunks),
    ingestedAt: row.ingested_at,
  };
  if (row.metadata !== null) doc.metadata = JSON.parse(row.metadata) as Record<string, string>;
  return doc;
}

/** The document-metadata table on Postgres (or PGlite); migrations run before it is returned. */
export async function createPostgresDocumentRepository(
  opts: PostgresDocumentRepositoryOptions,
): Promise<DocumentRepository> {
  const { db } = opts;
  const table = `${schemaQualifier(opts.schema)}agent_documents`;
  await migrate(db, opts.schema);

  return {
    async upsertDocument(doc) {
      // The CTE reads the row as it was before this statement; xmax = 0 marks a fresh insert.
      const result = await guardPostgres('document upsert', () =>
        db.query<{ created: boolean; previous_hash: string | null }>(
          `WITH previous AS (
             SELECT content_hash FROM ${table} WHERE tenant_id = $1 AND document_id = $2
           )
           INSERT INTO ${table} AS d (tenant_id, document_id, source, content_hash, chunks, ingested_at, metadata)
           VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::jsonb)
           ON CONFLICT (tenant_id, document_id) DO UPDATE SET
             source = EXCLUDED.source,
             content_hash = EXCLUDED.content_hash,
             chunks = EXCLUDED.chunks,
             ingested_at = EXCLUDED.ingested_at,
             metadata = EXCLUDED.metadata
           RETURNING (d.xmax = 0) AS created, (SELECT content_hash FROM previous) AS previous_hash`,
          [
            doc.tenantId,
            doc.documentId,
            doc.source,
            doc.contentHash,
            doc.chunks,
            doc.ingestedAt,
            doc.metadata === undefined ? null : JSON.stringify(doc.metadata),
          ],
        ),
      );
      const row = result.rows[0];
      return { created: row?.created === true, previousHash: row?.previous_hash ?? undefined };
    },

    async getDocument(tenantId, documentId) {
      const result = await guardPostgres('document get', () =>
        db.query<DocumentRow>(`SELECT ${COLUMNS} FROM ${table} WHERE tenant_id = $1 AND document_id = $2`, [
          tenantId,
          documentId,
        ]),
      );
      return result.rows[0] === undefined ? undefined : toDocument(result.rows[0]);
    },

    async listDocuments(tenantId, listOpts = {}) {
      const limit = Math.max(1, Math.min(10_000, Math.floor(listOpts.limit ?? 1_000)));
      const result = await guardPostgres('document list', () =>
        db.query<DocumentRow>(
          `SELECT ${COLUMNS} FROM ${table} WHERE tenant_id = $1
           ORDER BY ingested_at DESC, document_id LIMIT $2`,
          [tenantId, limit],
        ),
      );
      return result.rows.map(toDocument);
    },

    async deleteDocument(tenantId, documentId) {
      const result = await guardPostgres('document delete', () =>
        db.query<{ document_id: string }>(
          `DELETE FROM ${table} WHERE tenant_id = $1 AND document_id = $2 RETURNING document_id`,
          [tenantId, documentId],
        ),
      );
      return result.rows.length > 0;
    },
  };
}

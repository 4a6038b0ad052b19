/*
 * The SQL of the chunk store. It is plain PostgreSQL (12+) with pgvector (0.5+; iterative index
 * scans need 0.8), nothing PGlite-specific, so the same migration and statements run unchanged on
 * a real Postgres server through `pg`. Values are always bind parameters; the only text spliced
 * into statements is the table name, which is checked against a strict identifier pattern first,
 * and fixed fragments chosen by code.
 */

/** Default table of the chunk store. */
export const DEFAULT_CHUNK_TABLE = 'rag_chunks';

/**
 * The schema migration, with `{{table}}` and `{{dimensions}}` placeholders (see
 * {@link renderChunkMigration}). Chunks are keyed by (tenant, id) so two tenants' equal chunk ids
 * never collide; `tsv` is generated from the heading (weight A) and the text (weight B); the HNSW
 * index serves cosine distance and the GIN index serves full-text matching.
 */
export const CHUNK_STORE_MIGRATION_SQL = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS {{table}} (
  tenant_id   text        NOT NULL,
  id          text        NOT NULL,
  document_id text        NOT NULL,
  source      text        NOT NULL,
  heading     text,
  ordinal     integer     NOT NULL,
  body        text        NOT NULL,
  metadata    jsonb,
  embedding   vector({{dimensions}}) NOT NULL,
  tsv         tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(heading, '')), 'A') ||
                setweight(to_tsvector('english', body), 'B')
              ) STORED,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS {{table}}_document_idx ON {{table}} (tenant_id, document_id);
CREATE INDEX IF NOT EXISTS {{table}}_embedding_idx ON {{table}} USING hnsw (embedding vector_cosine_ops);
CREATE INDEX IF NOT EXISTS {{table}}_tsv_idx ON {{table}} USING gin (tsv);
`;

// Short enough that the derived index names stay under Postgres' 63-byte identifier limit.
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** Throws unless the name is a plain lower-case identifier safe to splice into SQL. */
export function assertTableName(table: string): void {
  if (!TABLE_NAME.test(table)) {
    throw new RangeError(`table name must match ${TABLE_NAME.source}, got ${JSON.stringify(table)}`);
  }
}

/** The migration for one table and vector length. */
export function renderChunkMigration(table: string, dimensions: number): string {
  assertTableName(table);
  // pgvector indexes (HNSW) accept at most 2000 dimensions for the `vector` type.
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 2000) {
    throw new RangeError(`dimensions must be an integer in [1, 2000], got ${dimensions}`);
  }
  return CHUNK_STORE_MIGRATION_SQL.replaceAll('{{table}}', table).replaceAll(
    '{{dimensions}}',
    String(dimensions),
  );
}

/** A row as the read statements return it. */
export interface ChunkRow {
  tenant_id: string;
  id: string;
  document_id: string;
  source: string;
  heading: string | null;
  ordinal: number;
  body: string;
  metadata: Record<string, string> | null;
}

const COLUMNS = 'c.tenant_id, c.id, c.document_id, c.source, c.heading, c.ordinal, c.body, c.metadata';

/** The statements of one table. Parameter lists are documented per statement. */
export interface ChunkStatements {
  /** $1 tenant, $2 id, $3 document, $4 source, $5 heading, $6 ordinal, $7 text, $8 metadata json, $9 vector text. */
  upsert: string;
  /** $1 tenant, $2 document. */
  deleteDocument: string;
  /** $1 tenant → `{ n }`. */
  count: string;
  /** $1 tenant, $2 ids (text[]). */
  get: string;
  /** $1 tenant, $2 query vector text, $3 limit[, $4 document ids]. Nearest first by cosine distance. */
  vectorSearch(filterDocuments: boolean): string;
  /**
   * $1 tenant, $2 query text, $3 limit[, $4 document ids]. Chunks matching any query term, those
   * matching the whole query (web-search syntax: quoted phrases, `-term`) first, then by ts_rank_cd.
   */
  textSearch(filterDocuments: boolean, parser: 'websearch_to_tsquery' | 'plainto_tsquery'): string;
  /** $1 table name → `{ dims }`: the vector length of an existing table, or no row. */
  tableDimensions: string;
}

/** The statements for a table (its name already checked by {@link assertTableName}). */
export function chunkStatements(table: string): ChunkStatements {
  assertTableName(table);
  const documentFilter = (on: boolean): string => (on ? ' AND c.document_id = ANY($4::text[])' : '');
  return {
    upsert: `INSERT INTO ${table} AS c (tenant_id, id, document_id, source, heading, ordinal, body, metadata, embedding)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::vector)
ON CONFLICT (tenant_id, id) DO UPDATE SET
  document_id = EXCLUDED.document_id, source = EXCLUDED.source, heading = EXCLUDED.heading,
  ordinal = EXCLUDED.ordinal, body = EXCLUDED.body, metadata = EXCLUDED.metadata,
  embedding = EXCLUDED.embedding, updated_at = now()`,
    deleteDocument: `DELETE FROM ${table} WHERE tenant_id = $1 AND document_id = $2`,
    count: `SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`,
    get: `SELECT ${COLUMNS} FROM ${table} c WHERE c.tenant_id = $1 AND c.id = ANY($2::text[])`,
    vectorSearch: (filterDocuments) =>
      `SELECT ${COLUMNS} FROM ${table} c
WHERE c.tenant_id = $1${documentFilter(filterDocuments)}
ORDER BY c.embedding <=> $2::vector
LIMIT $3`,
    // The loose query ORs the plain query's lexemes (plainto_tsquery quotes each one, so its text
    // form parses back safely): a question rarely repeats every word of the passage answering it.
    textSearch: (filterDocuments, parser) =>
      `WITH q AS (
  SELECT ${parser}('english', $2) AS strict,
         replace(plainto_tsquery('english', $2)::text, ' & ', ' | ')::tsquery AS loose
)
SELECT ${COLUMNS}, (c.tsv @@ q.strict) AS exact, ts_rank_cd(c.tsv, q.loose, 1) AS rank
FROM ${table} c, q
WHERE c.tenant_id = $1 AND c.tsv @@ q.loose${documentFilter(filterDocuments)}
ORDER BY exact DESC, rank DESC, c.id
LIMIT $3`,
    tableDimensions: `SELECT a.atttypmod AS dims FROM pg_attribute a
WHERE a.attrelid = to_regclass($1::text) AND a.attname = 'embedding' AND NOT a.attisdropped`,
  };
}

/** pgvector's text form of a vector. */
export function vectorLiteral(vector: readonly number[]): string {
  return `[${vector.join(',')}]`;
}

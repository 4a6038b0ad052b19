import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { AgentError } from '../../contract/errors.js';
import type { CheckResult, DependencyCheck } from '../../ports/readiness.js';
import type { Chunk, SearchHit, SearchQuery, StoredChunk, VectorStore } from '../../ports/vector-store.js';
import { reciprocalRankFusion } from '../../rag/fusion.js';
import {
  assertSearchQuery,
  assertStoredChunks,
  candidatePoolSize,
  isZeroVector,
  raceAbort,
} from '../../rag/store-checks.js';
import { DEFAULT_CHUNK_TABLE, chunkStatements, renderChunkMigration, vectorLiteral } from './chunk-sql.js';
import type { ChunkRow } from './chunk-sql.js';

/** Options for {@link createPgliteVectorStore}. */
export interface PgliteVectorStoreOptions {
  /** Directory the database persists in; absent keeps it in memory (gone on close). */
  dataDir?: string;
  /** Vector length; must equal the embedder's. */
  dimensions: number;
  /**
   * An open PGlite with the pgvector extension loaded (`extensions: { vector }`) to use instead of
   * opening one; the store then leaves closing it to the caller. `dataDir` is ignored.
   */
  db?: PGlite;
  /** Table to keep chunks in, so several stores can share one database. Default `rag_chunks`. */
  table?: string;
}

/** What the store needs from PGlite or one of its transactions. */
interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

/**
 * The embedded vector store: PGlite (Postgres compiled to WebAssembly, in process) with pgvector.
 * Search runs a cosine-distance ranking (HNSW index) and a full-text ranking (`tsvector`, GIN
 * index, `ts_rank_cd`) and fuses them with reciprocal rank fusion (k = 60), reporting each hit's
 * rank in both. The SQL is plain Postgres + pgvector (see `chunk-sql.ts`).
 */
export function createPgliteVectorStore(opts: PgliteVectorStoreOptions): VectorStore {
  const { dimensions } = opts;
  const table = opts.table ?? DEFAULT_CHUNK_TABLE;
  const migration = renderChunkMigration(table, dimensions); // validates table and dimensions early
  const sql = chunkStatements(table);
  const owned = opts.db === undefined;
  let db: PGlite | undefined = opts.db;
  let initializing: Promise<void> | undefined;
  let ready = false;
  let closed = false;
  let iterativeScan = false;

  async function open(): Promise<PGlite> {
    if (closed) throw new AgentError('shutting_down', { detail: 'vector store is closed' });
    if (db === undefined) {
      db = await PGlite.create({
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        extensions: { vector },
      });
    }
    return db;
  }

  async function migrate(): Promise<void> {
    const pg = await open();
    const existing = await pg.query<{ dims: number }>(sql.tableDimensions, [table]);
    const dims = existing.rows[0]?.dims;
    if (dims !== undefined && dims !== dimensions) {
      throw new AgentError('internal', {
        detail: `table ${table} holds ${dims}-dimensional vectors but the store was configured for ${dimensions}; re-ingest into a new table or data directory`,
        retryable: false,
        details: { table, stored: dims, configured: dimensions },
      });
    }
    try {
      await pg.exec(migration);
    } catch (err) {
      throw new AgentError('internal', {
        detail: `vector store migration failed (the database needs the pgvector extension): ${err instanceof Error ? err.message : String(err)}`,
        retryable: false,
        cause: err,
      });
    }
    const version = await pg.query<{ v: string }>(
      "SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'",
    );
    iterativeScan = versionAtLeast(version.rows[0]?.v ?? '0', [0, 8]);
    ready = true;
  }

  async function ensureReady(): Promise<PGlite> {
    if (!ready) {
      initializing ??= migrate().finally(() => {
        initializing = undefined;
      });
      await initializing;
    }
    return open();
  }

  async function vectorRanking(tx: Queryable, q: SearchQuery, limit: number): Promise<ChunkRow[]> {
    if (isZeroVector(q.vector)) return [];
    if (iterativeScan) {
      // Without an iterative scan, HNSW yields ef_search candidates before the tenant filter runs,
      // so a small tenant in a large table would get too few (or no) neighbours.
      await tx.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)");
    }
    await tx.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(Math.max(40, limit))]);
    const params: unknown[] = [q.tenantId, vectorLiteral(q.vector), limit];
    if (q.documentIds !== undefined) params.push(q.documentIds);
    return (await tx.query<ChunkRow>(sql.vectorSearch(q.documentIds !== undefined), params)).rows;
  }

  async function textRanking(pg: PGlite, q: SearchQuery, limit: number): Promise<ChunkRow[]> {
    if (q.text.trim() === '') return [];
    const params: unknown[] = [q.tenantId, q.text, limit];
    if (q.documentIds !== undefined) params.push(q.documentIds);
    const filter = q.documentIds !== undefined;
    try {
      return (await pg.query<ChunkRow>(sql.textSearch(filter, 'websearch_to_tsquery'), params)).rows;
    } catch {
      // websearch_to_tsquery is meant never to fail on user input; should a server version still
      // reject one, the plain parser (no operators) is the safe reading of the same words.
      return (await pg.query<ChunkRow>(sql.textSearch(filter, 'plainto_tsquery'), params)).rows;
    }
  }

  const check: DependencyCheck = {
    name: 'pglite',
    async check(signal: AbortSignal): Promise<CheckResult> {
      if (closed) return { ok: false, detail: 'vector store is closed' };
      if (!ready || db === undefined) return { ok: false, detail: 'vector store not initialized' };
      try {
        await raceAbort(db.query('SELECT 1'), signal);
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    },
  };

  return {
    name: 'pglite',

    async init(): Promise<void> {
      await ensureReady();
    },

    async upsert(chunks: StoredChunk[]): Promise<void> {
      assertStoredChunks(chunks, dimensions);
      if (chunks.length === 0) return;
      const pg = await ensureReady();
      // One statement per chunk inside one transaction: the batch lands whole or not at all, and
      // a repeated id within a batch simply ends as its last version.
      await pg.transaction(async (tx) => {
        for (const c of chunks) {
          await tx.query(sql.upsert, [
            c.tenantId,
            c.id,
            c.documentId,
            c.source,
            c.heading ?? null,
            c.ordinal,
            c.text,
            c.metadata === undefined ? null : JSON.stringify(c.metadata),
            vectorLiteral(c.vector),
          ]);
        }
      });
    },

    async deleteDocument(tenantId: string, documentId: string): Promise<number> {
      const pg = await ensureReady();
      const res = await pg.query(sql.deleteDocument, [tenantId, documentId]);
      return res.affectedRows ?? 0;
    },

    async search(q: SearchQuery): Promise<SearchHit[]> {
      assertSearchQuery(q, dimensions);
      if (q.documentIds !== undefined && q.documentIds.length === 0) return [];
      const pg = await ensureReady();
      const limit = candidatePoolSize(q.topK);
      const byVector = await pg.transaction((tx) => vectorRanking(tx, q, limit));
      const byText = await textRanking(pg, q, limit);
      const rows = new Map<string, ChunkRow>();
      for (const r of [...byVector, ...byText]) rows.set(r.id, r);
      const fused = reciprocalRankFusion(
        [
          { name: 'vector', ids: byVector.map((r) => r.id) },
          { name: 'text', ids: byText.map((r) => r.id) },
        ],
        { limit: q.topK },
      );
      return fused.flatMap((f) => {
        const row = rows.get(f.id);
        if (row === undefined) return [];
        const hit: SearchHit = { chunk: toChunk(row), score: f.score };
        if (f.ranks.vector !== undefined) hit.vectorRank = f.ranks.vector;
        if (f.ranks.text !== undefined) hit.textRank = f.ranks.text;
        return [hit];
      });
    },

    async get(tenantId: string, chunkIds: string[]): Promise<Chunk[]> {
      if (chunkIds.length === 0) return [];
      const pg = await ensureReady();
      const res = await pg.query<ChunkRow>(sql.get, [tenantId, chunkIds]);
      const byId = new Map(res.rows.map((r) => [r.id, r]));
      return chunkIds.flatMap((id) => {
        const row = byId.get(id);
        return row === undefined ? [] : [toChunk(row)];
      });
    },

    async count(tenantId: string): Promise<number> {
      const pg = await ensureReady();
      const res = await pg.query<{ n: number }>(sql.count, [tenantId]);
      return res.rows[0]?.n ?? 0;
    },

    readiness(): DependencyCheck {
      return check;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      ready = false;
      await initializing?.catch(() => undefined);
      if (owned && db !== undefined && !db.closed) await db.close();
    },
  };
}

function toChunk(row: ChunkRow): Chunk {
  const chunk: Chunk = {
    id: row.id,
    documentId: row.document_id,
    tenantId: row.tenant_id,
    source: row.source,
    ordinal: row.ordinal,
    text: row.body,
  };
  if (row.heading !== null) chunk.heading = row.heading;
  if (row.metadata !== null) chunk.metadata = row.metadata;
  return chunk;
}

function versionAtLeast(version: string, min: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

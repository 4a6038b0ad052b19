import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, describe, expect, it } from 'vitest';
import { runVectorStoreConformance } from '../../testing/vector-store-conformance.js';
import { createHashingEmbedder } from '../embedder/hashing-embedder.js';
import { CHUNK_STORE_MIGRATION_SQL, chunkStatements, renderChunkMigration } from './chunk-sql.js';
import { createPgliteVectorStore } from './pglite-vector-store.js';

// One in-memory database for the whole file (PGlite takes seconds to boot); each test gets its own table.
let shared: Promise<PGlite> | undefined;
const sharedDb = (): Promise<PGlite> => (shared ??= PGlite.create({ extensions: { vector } }));
let tables = 0;
const nextTable = (): string => `chunks_${++tables}`;

afterAll(async () => {
  if (shared) await (await shared).close();
});

runVectorStoreConformance('pglite (in-memory)', async ({ dimensions }) => {
  const db = await sharedDb();
  const table = nextTable();
  return {
    store: createPgliteVectorStore({ db, dimensions, table }),
    cleanup: async () => {
      await db.exec(`DROP TABLE IF EXISTS ${table}`);
    },
  };
});

describe('pglite vector store', () => {
  const embedder = createHashingEmbedder({ dimensions: 64 });
  const embed = async (text: string): Promise<number[]> => (await embedder.embed([text]))[0] ?? [];

  it('renders a migration of plain SQL for the table and dimensions, rejecting unsafe names', () => {
    expect(CHUNK_STORE_MIGRATION_SQL).toContain('{{dimensions}}');
    const sql = renderChunkMigration('my_chunks', 768);
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS my_chunks');
    expect(sql).toContain('vector(768)');
    expect(sql).toContain('USING hnsw (embedding vector_cosine_ops)');
    expect(sql).toContain('USING gin (tsv)');
    expect(sql).not.toContain('{{');
    expect(() => renderChunkMigration('x; DROP TABLE y', 8)).toThrow(RangeError);
    expect(() => renderChunkMigration('ok', 0)).toThrow(RangeError);
    expect(() => chunkStatements('Bad-Name')).toThrow(RangeError);
    expect(() => createPgliteVectorStore({ dimensions: 8, table: '"quoted"' })).toThrow(RangeError);
  });

  it('refuses to open a table whose vectors have another length', async () => {
    const db = await sharedDb();
    const table = nextTable();
    await createPgliteVectorStore({ db, dimensions: 64, table }).init();
    await expect(createPgliteVectorStore({ db, dimensions: 32, table }).init()).rejects.toMatchObject({
      code: 'internal',
      retryable: false,
    });
  });

  it('honours web-search syntax in the query text: phrases and exclusions rank first', async () => {
    const db = await sharedDb();
    const store = createPgliteVectorStore({ db, dimensions: 64, table: nextTable() });
    const texts = [
      'the write ahead log grows',
      'log ahead of the write path',
      'write barrier and log ahead of schedule',
    ];
    await store.upsert(
      await Promise.all(
        texts.map(async (text, i) => ({
          id: `c${i}`,
          documentId: 'd',
          tenantId: 't',
          source: 's',
          ordinal: i,
          text,
          vector: await embed(text),
        })),
      ),
    );
    const zero = new Array<number>(64).fill(0);
    const phrase = await store.search({ tenantId: 't', text: '"write ahead log"', vector: zero, topK: 3 });
    expect(phrase[0]?.chunk.id).toBe('c0');
    expect(phrase.every((h) => h.vectorRank === undefined)).toBe(true);
    const excluding = await store.search({
      tenantId: 't',
      text: 'write log -barrier',
      vector: zero,
      topK: 3,
    });
    expect(excluding.map((h) => h.chunk.id).at(-1)).toBe('c2');
  });

  it('finds a small tenant among many through the HNSW index (iterative scan)', async () => {
    const db = await sharedDb();
    const table = nextTable();
    const store = createPgliteVectorStore({ db, dimensions: 64, table });
    const big = await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const text = `incident report ${i} about disk latency on node ${i % 17}`;
        return {
          id: `b${i}`,
          documentId: `d${i % 20}`,
          tenantId: 'big',
          source: 's',
          ordinal: i,
          text,
          vector: await embed(text),
        };
      }),
    );
    const small = await Promise.all(
      ['garden tomatoes', 'garden roses', 'garden soil'].map(async (text, i) => ({
        id: `s${i}`,
        documentId: 'g',
        tenantId: 'small',
        source: 's',
        ordinal: i,
        text,
        vector: await embed(text),
      })),
    );
    await store.upsert([...big, ...small]);
    await db.exec(`ANALYZE ${table}`);
    // The query resembles the big tenant's chunks, so their rows crowd the index's nearest
    // neighbours. With sorting disabled the planner must take the HNSW path, where a plain index
    // scan would hand back 40 candidates of the big tenant and none of the small one.
    const query = await embed('incident report disk latency');
    const plan = await db.transaction(async (tx) => {
      await tx.exec('SET LOCAL enable_sort = off');
      const explain = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${chunkStatements(table).vectorSearch(false)}`,
        ['small', `[${query.join(',')}]`, 3],
      );
      return explain.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('embedding_idx');
    await db.exec('SET enable_sort = off');
    try {
      const hits = await store.search({ tenantId: 'small', text: 'unrelated words', vector: query, topK: 3 });
      expect(hits.map((h) => h.chunk.id).sort()).toEqual(['s0', 's1', 's2']);
    } finally {
      await db.exec('RESET enable_sort');
    }
  });

  it('reports not ready before init and after close, and leaves an injected database open', async () => {
    const db = await sharedDb();
    const store = createPgliteVectorStore({ db, dimensions: 64, table: nextTable() });
    const check = store.readiness();
    expect(check.name).toBe('pglite');
    expect(await check.check(AbortSignal.timeout(1_000))).toMatchObject({
      ok: false,
      detail: 'vector store not initialized',
    });
    await store.init();
    expect(await check.check(AbortSignal.timeout(1_000))).toEqual({ ok: true });
    await store.close();
    await store.close();
    expect(await check.check(AbortSignal.timeout(1_000))).toMatchObject({ ok: false });
    expect(db.closed).toBe(false);
    await expect(store.count('t')).rejects.toMatchObject({ code: 'shutting_down' });
  });

  it('fails init with a non-retryable error naming the cause when the migration cannot run', async () => {
    const db = await sharedDb();
    const table = nextTable();
    // A foreign table of the same name: CREATE TABLE IF NOT EXISTS skips it, its indexes then fail.
    await db.exec(`CREATE TABLE ${table} (id text)`);
    const err: unknown = await createPgliteVectorStore({ db, dimensions: 8, table })
      .init()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'internal', retryable: false });
    expect((err as Error).message).toMatch(/migration failed.*tenant_id/);
  });
});

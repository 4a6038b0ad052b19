import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVectorStoreConformance } from '../../testing/vector-store-conformance.js';
import { createHashingEmbedder } from '../embedder/hashing-embedder.js';
import { createPgliteVectorStore } from './pglite-vector-store.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pglite-store-'));
});

afterAll(async () => {
  if (shared) await (await shared).close();
  await rm(root, { recursive: true, force: true });
});

// The conformance run shares one on-disk database (booting PGlite takes seconds), a table per test.
let shared: Promise<PGlite> | undefined;
let tables = 0;

runVectorStoreConformance('pglite (dataDir)', async ({ dimensions }) => {
  shared ??= PGlite.create({ dataDir: join(root, 'conformance'), extensions: { vector } });
  const db = await shared;
  const table = `chunks_${++tables}`;
  return {
    store: createPgliteVectorStore({ db, dimensions, table }),
    cleanup: async () => {
      await db.exec(`DROP TABLE IF EXISTS ${table}`);
    },
  };
});

describe('pglite vector store persistence', () => {
  it('keeps chunks in its data directory across close and reopen', async () => {
    const dataDir = join(root, 'reopen');
    const embedder = createHashingEmbedder({ dimensions: 32 });
    const text = 'Snapshots are written to the data directory before shutdown.';
    const [vec] = await embedder.embed([text]);

    const first = createPgliteVectorStore({ dataDir, dimensions: 32 });
    await first.init();
    await first.upsert([
      {
        id: 'd#0',
        documentId: 'd',
        tenantId: 't',
        source: 'd.md',
        heading: 'Storage',
        ordinal: 0,
        text,
        vector: vec ?? [],
      },
    ]);
    await first.close();
    expect((await readdir(dataDir)).length).toBeGreaterThan(0);

    const second = createPgliteVectorStore({ dataDir, dimensions: 32 });
    try {
      await second.init();
      expect(await second.count('t')).toBe(1);
      expect((await second.get('t', ['d#0']))[0]).toMatchObject({ heading: 'Storage', text });
      const hits = await second.search({ tenantId: 't', text: 'snapshots', vector: vec ?? [], topK: 1 });
      expect(hits[0]).toMatchObject({ vectorRank: 1, textRank: 1 });
    } finally {
      await second.close();
    }
    // Its dimensions are part of what persisted.
    const mismatched = createPgliteVectorStore({ dataDir, dimensions: 16 });
    try {
      await expect(mismatched.init()).rejects.toMatchObject({ code: 'internal' });
    } finally {
      await mismatched.close();
    }
  });
});

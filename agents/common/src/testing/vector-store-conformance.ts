import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHashingEmbedder } from '../adapters/embedder/hashing-embedder.js';
import type { AgentError } from '../contract/errors.js';
import type { Chunk, StoredChunk, VectorStore } from '../ports/vector-store.js';

/** Vector length the conformance suite embeds with; factories must build stores of this size. */
export const CONFORMANCE_DIMENSIONS = 256;

/** What a conformance factory returns: a fresh, empty store and how to dispose of it. */
export interface ConformanceSubject {
  store: VectorStore;
  cleanup(): Promise<void>;
}

/** Builds a fresh, empty store of the given dimensions for one test. */
export type VectorStoreFactory = (opts: { dimensions: number }) => Promise<ConformanceSubject>;

const embedder = createHashingEmbedder({ dimensions: CONFORMANCE_DIMENSIONS });

/** Embeds heading + text the way the retriever does, so vector and text rankings see the same chunk. */
async function stored(chunks: Chunk[]): Promise<StoredChunk[]> {
  const vectors = await embedder.embed(chunks.map((c) => (c.heading ? `${c.heading}\n\n${c.text}` : c.text)));
  return chunks.map((c, i) => ({ ...c, vector: vectors[i] ?? [] }));
}

async function vectorOf(text: string): Promise<number[]> {
  const [v] = await embedder.embed([text]);
  return v ?? [];
}

function chunk(
  tenantId: string,
  documentId: string,
  ordinal: number,
  text: string,
  extra: Partial<Chunk> = {},
): Chunk {
  return {
    id: `${documentId}#${ordinal}`,
    documentId,
    tenantId,
    source: `${documentId}.md`,
    ordinal,
    text,
    ...extra,
  };
}

/** A small corpus of one tenant: six chunks on distinct topics over three documents. */
function corpus(tenantId: string): Chunk[] {
  return [
    chunk(
      tenantId,
      'ops',
      0,
      'TLS certificates are rotated every ninety days by the renewal job; rotate them manually with the cert-rotate command.',
      {
        heading: 'Operations > Certificates',
      },
    ),
    chunk(
      tenantId,
      'ops',
      1,
      'Backups of the database run nightly and are kept for thirty days in object storage.',
      {
        heading: 'Operations > Backups',
      },
    ),
    chunk(tenantId, 'ops', 2, 'Expired certificates in the browser usually mean the client clock is wrong.', {
      heading: 'Operations > Troubleshooting',
    }),
    chunk(
      tenantId,
      'kb',
      0,
      'The ingress controller routes external HTTP traffic to services inside the Kubernetes cluster.',
      {
        metadata: { lang: 'en', team: 'platform' },
      },
    ),
    chunk(tenantId, 'kb', 1, 'Connection pool size limits how many database sessions each replica opens.'),
    chunk(
      tenantId,
      'recipes',
      0,
      'Banana bread needs ripe bananas, flour, butter, sugar and an hour in the oven.',
    ),
  ];
}

/**
 * The vector store conformance suite: every {@link VectorStore} adapter runs it. It checks storage
 * (upsert, replace, get, count, delete), hybrid retrieval (fusion puts the chunk that matches both
 * ways first; a full-text-only match is found), filters, `topK`, tenant isolation in every call and
 * input validation. The factory is called once per test and must return an empty store.
 */
export function runVectorStoreConformance(name: string, factory: VectorStoreFactory): void {
  describe(`VectorStore conformance: ${name}`, () => {
    let subject: ConformanceSubject;
    let store: VectorStore;

    beforeEach(async () => {
      subject = await factory({ dimensions: CONFORMANCE_DIMENSIONS });
      store = subject.store;
      await store.init();
    });

    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    it('init is idempotent and an empty store finds, gets and counts nothing', async () => {
      await store.init();
      expect(await store.count('t1')).toBe(0);
      expect(await store.get('t1', ['ops#0'])).toEqual([]);
      expect(
        await store.search({
          tenantId: 't1',
          text: 'certificates',
          vector: await vectorOf('certificates'),
          topK: 5,
        }),
      ).toEqual([]);
    });

    it('upserts, gets in the order asked (skipping unknown ids) and counts', async () => {
      const chunks = corpus('t1');
      await store.upsert(await stored(chunks));
      expect(await store.count('t1')).toBe(chunks.length);
      const got = await store.get('t1', ['kb#0', 'missing#9', 'ops#0']);
      expect(got).toEqual([chunks[3], chunks[0]]);
      expect(got[0]?.metadata).toEqual({ lang: 'en', team: 'platform' });
      expect(got[1]?.heading).toBe('Operations > Certificates');
      expect(await store.get('t1', [])).toEqual([]);
    });

    it('replaces a chunk upserted again under the same id', async () => {
      await store.upsert(await stored(corpus('t1')));
      const replacement = chunk(
        't1',
        'kb',
        1,
        'Snapshot retention is configured per bucket with lifecycle rules.',
        { heading: 'Storage' },
      );
      await store.upsert(await stored([replacement]));
      expect(await store.count('t1')).toBe(6);
      expect(await store.get('t1', ['kb#1'])).toEqual([replacement]);
      const oldWords = await store.search({
        tenantId: 't1',
        text: 'connection pool replica',
        vector: await vectorOf('zebra'),
        topK: 6,
      });
      expect(oldWords.every((h) => !h.chunk.text.includes('Connection pool'))).toBe(true);
      const newWords = await store.search({
        tenantId: 't1',
        text: 'snapshot lifecycle',
        vector: await vectorOf('snapshot lifecycle'),
        topK: 1,
      });
      expect(newWords[0]?.chunk.id).toBe('kb#1');
    });

    it('puts the chunk that matches lexically and semantically first', async () => {
      await store.upsert(await stored(corpus('t1')));
      const text = 'how do I rotate the TLS certificates';
      const hits = await store.search({ tenantId: 't1', text, vector: await vectorOf(text), topK: 3 });
      expect(hits[0]?.chunk.id).toBe('ops#0');
      expect(hits[0]?.chunk.text).toContain('cert-rotate');
      // Adapters that fuse client-side report the ranks behind the fusion.
      if (hits[0]?.vectorRank !== undefined || hits[0]?.textRank !== undefined) {
        expect([hits[0].vectorRank, hits[0].textRank]).toEqual([1, 1]);
      }
      for (let i = 1; i < hits.length; i++)
        expect(hits[i - 1]?.score ?? 0).toBeGreaterThanOrEqual(hits[i]?.score ?? 0);
    });

    it('finds a full-text match even when the query vector points elsewhere', async () => {
      await store.upsert(await stored(corpus('t1')));
      const hits = await store.search({
        tenantId: 't1',
        text: 'ingress',
        vector: await vectorOf('banana bread oven'),
        topK: 3,
      });
      expect(hits.map((h) => h.chunk.id)).toContain('kb#0');
      expect(hits[0]?.chunk.id).toBe('kb#0');
    });

    it('finds a vector match when no word of the query occurs in the text', async () => {
      await store.upsert(await stored(corpus('t1')));
      // The text matches no chunk, so only the vector ranking can find it.
      const hits = await store.search({
        tenantId: 't1',
        text: 'zzqx',
        vector: await vectorOf('banana breads'),
        topK: 1,
      });
      expect(hits.map((h) => h.chunk.id)).toEqual(['recipes#0']);
    });

    it('respects topK', async () => {
      await store.upsert(await stored(corpus('t1')));
      const text = 'database certificates';
      for (const topK of [1, 2, 4]) {
        const hits = await store.search({ tenantId: 't1', text, vector: await vectorOf(text), topK });
        expect(hits).toHaveLength(topK);
      }
    });

    it('restricts a search to documentIds, and [] matches nothing', async () => {
      await store.upsert(await stored(corpus('t1')));
      const text = 'certificates database';
      const vector = await vectorOf(text);
      const hits = await store.search({
        tenantId: 't1',
        text,
        vector,
        topK: 10,
        documentIds: ['kb', 'recipes'],
      });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.chunk.documentId === 'kb' || h.chunk.documentId === 'recipes')).toBe(true);
      expect(await store.search({ tenantId: 't1', text, vector, topK: 10, documentIds: [] })).toEqual([]);
    });

    it('deletes a document, reporting how many chunks went', async () => {
      await store.upsert(await stored(corpus('t1')));
      expect(await store.deleteDocument('t1', 'ops')).toBe(3);
      expect(await store.deleteDocument('t1', 'ops')).toBe(0);
      expect(await store.count('t1')).toBe(3);
      expect(await store.get('t1', ['ops#0', 'kb#0'])).toHaveLength(1);
      const hits = await store.search({
        tenantId: 't1',
        text: 'certificates',
        vector: await vectorOf('certificates'),
        topK: 10,
      });
      expect(hits.some((h) => h.chunk.documentId === 'ops')).toBe(false);
    });

    it('isolates tenants in upsert, get, count, search and delete', async () => {
      await store.upsert(await stored(corpus('t1')));
      // Same ids, different text: t2 must neither overwrite nor see t1's chunks.
      const other = chunk('t2', 'ops', 0, 'Tenant two rotates certificates with its own TLS tooling.');
      await store.upsert(await stored([other]));
      expect(await store.count('t1')).toBe(6);
      expect(await store.count('t2')).toBe(1);
      expect(await store.count('t3')).toBe(0);
      expect((await store.get('t1', ['ops#0']))[0]?.text).toContain('cert-rotate');
      expect(await store.get('t2', ['ops#0'])).toEqual([other]);
      expect(await store.get('t2', ['kb#0'])).toEqual([]);

      const text = 'rotate TLS certificates';
      const vector = await vectorOf(text);
      const t2Hits = await store.search({ tenantId: 't2', text, vector, topK: 10 });
      expect(t2Hits.map((h) => h.chunk)).toEqual([other]);
      const t1Hits = await store.search({ tenantId: 't1', text, vector, topK: 10 });
      expect(t1Hits.every((h) => h.chunk.tenantId === 't1')).toBe(true);
      expect(t1Hits.some((h) => h.chunk.text === other.text)).toBe(false);
      expect(await store.search({ tenantId: 't3', text, vector, topK: 10 })).toEqual([]);

      expect(await store.deleteDocument('t2', 'ops')).toBe(1);
      expect(await store.count('t1')).toBe(6);
      expect(await store.deleteDocument('t3', 'kb')).toBe(0);
      expect(await store.count('t1')).toBe(6);
    });

    it('rejects vectors of the wrong length without writing anything', async () => {
      const [good, bad] = await stored(corpus('t1').slice(0, 2));
      if (good === undefined || bad === undefined) throw new Error('corpus too small');
      const batch = [good, { ...bad, vector: [1, 2, 3] }];
      const err = (await store.upsert(batch).catch((e: unknown) => e)) as AgentError;
      expect(err.code).toBe('bad_request');
      expect(await store.count('t1')).toBe(0);
      await expect(
        store.search({ tenantId: 't1', text: 'x', vector: [1, 2], topK: 1 }),
      ).rejects.toMatchObject({ code: 'bad_request' });
      await expect(
        store.search({ tenantId: 't1', text: 'x', vector: await vectorOf('x'), topK: 0 }),
      ).rejects.toMatchObject({
        code: 'bad_request',
      });
    });

    it('reports ready once initialized', async () => {
      const check = store.readiness();
      expect(typeof check.name).toBe('string');
      expect(await check.check(AbortSignal.timeout(5_000))).toEqual({ ok: true });
    });
  });
}

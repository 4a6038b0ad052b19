import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeQdrant } from '../../testing/fixtures/fake-qdrant.js';
import type { FakeQdrant } from '../../testing/fixtures/fake-qdrant.js';
import { runVectorStoreConformance } from '../../testing/vector-store-conformance.js';
import { createHashingEmbedder } from '../embedder/hashing-embedder.js';
import { chunkPointId } from './point-id.js';
import { DENSE_VECTOR, SPARSE_VECTOR, createQdrantVectorStore } from './qdrant-vector-store.js';

let fake: FakeQdrant;
let collections = 0;
const nextCollection = (): string => `chunks_${++collections}`;

beforeAll(async () => {
  fake = await startFakeQdrant();
});

afterAll(async () => {
  await fake.close();
});

runVectorStoreConformance('qdrant (against the fake server)', ({ dimensions }) => {
  const collection = nextCollection();
  return Promise.resolve({
    store: createQdrantVectorStore({ url: fake.url, collection, dimensions }),
    cleanup: async () => {
      await new QdrantClient({ url: fake.url, checkCompatibility: false }).deleteCollection(collection);
    },
  });
});

describe('qdrant vector store', () => {
  const embedder = createHashingEmbedder({ dimensions: 16 });
  const sent = (path: string, method = 'POST'): unknown[] =>
    fake.requests.filter((r) => r.path === path && r.method === method).map((r) => r.body);

  it('creates a collection with a dense Cosine and a sparse idf vector, and tenant payload indexes', async () => {
    const collection = nextCollection();
    const store = createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 });
    await store.init();
    await store.init();
    expect(sent(`/collections/${collection}`, 'PUT')).toEqual([
      {
        vectors: { [DENSE_VECTOR]: { size: 16, distance: 'Cosine' } },
        sparse_vectors: { [SPARSE_VECTOR]: { modifier: 'idf' } },
      },
    ]);
    expect(sent(`/collections/${collection}/index`, 'PUT')).toEqual([
      { field_name: 'tenant_id', field_schema: { type: 'keyword', is_tenant: true } },
      { field_name: 'document_id', field_schema: { type: 'keyword' } },
    ]);
    // A second store over the existing collection creates nothing.
    await createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 }).init();
    expect(sent(`/collections/${collection}`, 'PUT')).toHaveLength(1);
    expect(sent(`/collections/${collection}/index`, 'PUT')).toHaveLength(2);
  });

  it('refuses a collection whose dense vector has another size', async () => {
    const collection = nextCollection();
    await createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 }).init();
    await expect(
      createQdrantVectorStore({ url: fake.url, collection, dimensions: 8 }).init(),
    ).rejects.toMatchObject({
      code: 'internal',
      retryable: false,
    });
  });

  it('writes deterministic UUID point ids, the chunk as payload and both vectors, waiting for the write', async () => {
    const collection = nextCollection();
    const store = createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 });
    const text = 'Rotate the signing keys yearly.';
    const [vector] = await embedder.embed([text]);
    await store.upsert([
      {
        id: 'd#0',
        documentId: 'd',
        tenantId: 't1',
        source: 'keys.md',
        heading: 'Keys',
        ordinal: 0,
        text,
        vector: vector ?? [],
        metadata: { lang: 'en' },
      },
    ]);
    const upserts = fake.requests.filter(
      (r) => r.path === `/collections/${collection}/points` && r.method === 'PUT',
    );
    expect(upserts).toHaveLength(1);
    expect(upserts[0]?.query.wait).toBe('true');
    const point = (
      upserts[0]?.body as { points: { id: string; vector: Record<string, unknown>; payload: unknown }[] }
    ).points[0];
    expect(point?.id).toBe(chunkPointId('t1', 'd#0'));
    expect(point?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(point?.payload).toEqual({
      tenant_id: 't1',
      chunk_id: 'd#0',
      document_id: 'd',
      source: 'keys.md',
      heading: 'Keys',
      ordinal: 0,
      text,
      metadata: { lang: 'en' },
    });
    expect(point?.vector[DENSE_VECTOR]).toEqual(vector);
    const sparse = point?.vector[SPARSE_VECTOR] as { indices: number[]; values: number[] };
    // Heading and text terms, plurals folded: key (twice), rotate, signing, yearly.
    expect(sparse.indices.length).toBe(4);
    expect(sparse.values.every((v) => v > 0)).toBe(true);
  });

  it('searches with one Query API call: dense and sparse prefetches, tenant-filtered, fused with rrf', async () => {
    const collection = nextCollection();
    const store = createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 });
    await store.init();
    const [vector] = await embedder.embed(['signing keys']);
    await store.search({
      tenantId: 't1',
      text: 'signing keys',
      vector: vector ?? [],
      topK: 3,
      documentIds: ['d'],
    });
    const [body] = sent(`/collections/${collection}/points/query`) as Record<string, unknown>[];
    const filter = {
      must: [
        { key: 'tenant_id', match: { value: 't1' } },
        { key: 'document_id', match: { any: ['d'] } },
      ],
    };
    expect(body).toMatchObject({ query: { fusion: 'rrf' }, limit: 3, with_payload: true, filter });
    const prefetch = body?.prefetch as Record<string, unknown>[];
    expect(prefetch.map((p) => p.using)).toEqual([DENSE_VECTOR, SPARSE_VECTOR]);
    expect(prefetch.every((p) => JSON.stringify(p.filter) === JSON.stringify(filter) && p.limit === 20)).toBe(
      true,
    );
    expect(prefetch[0]?.query).toEqual(vector);
    expect(prefetch[1]?.query).toMatchObject({ indices: expect.any(Array) as unknown, values: [1, 1] });
  });

  it('drops a ranking that cannot match (zero vector, text without terms), and queries nothing when both are empty', async () => {
    const collection = nextCollection();
    const store = createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 });
    await store.init();
    const zero = new Array<number>(16).fill(0);
    await store.search({ tenantId: 't1', text: 'keys', vector: zero, topK: 3 });
    const [body] = sent(`/collections/${collection}/points/query`) as { prefetch: { using: string }[] }[];
    expect(body?.prefetch.map((p) => p.using)).toEqual([SPARSE_VECTOR]);
    expect(await store.search({ tenantId: 't1', text: 'the of and', vector: zero, topK: 3 })).toEqual([]);
    expect(sent(`/collections/${collection}/points/query`)).toHaveLength(1);
  });

  it('reports readiness from the collection and maps a missing collection to dependency_failed', async () => {
    const collection = nextCollection();
    const store = createQdrantVectorStore({ url: fake.url, collection, dimensions: 16 });
    const check = store.readiness();
    expect(check.name).toBe('qdrant');
    expect(await check.check(AbortSignal.timeout(2_000))).toEqual({
      ok: false,
      detail: `collection ${collection} does not exist`,
    });
    await store.init();
    expect(await check.check(AbortSignal.timeout(2_000))).toEqual({ ok: true });
    await new QdrantClient({ url: fake.url, checkCompatibility: false }).deleteCollection(collection);
    await expect(store.count('t1')).rejects.toMatchObject({
      code: 'dependency_failed',
      retryable: false,
      details: { status: 404 },
    });
    await store.close();
    expect(await check.check(AbortSignal.timeout(2_000))).toMatchObject({
      ok: false,
      detail: 'vector store is closed',
    });
    await expect(store.count('t1')).rejects.toMatchObject({ code: 'shutting_down' });
  });

  it('maps an unreachable server to dependency_unavailable and fails readiness', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const store = createQdrantVectorStore({
      url: `http://127.0.0.1:${closedPort}`,
      collection: 'x',
      dimensions: 16,
    });
    await expect(store.init()).rejects.toMatchObject({ code: 'dependency_unavailable', retryable: true });
    const result = await store.readiness().check(AbortSignal.timeout(2_000));
    expect(result.ok).toBe(false);
  });

  it('times out a readiness check that outlives its signal', async () => {
    const hanging = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as AddressInfo;
    try {
      const store = createQdrantVectorStore({
        url: `http://127.0.0.1:${port}`,
        collection: 'x',
        dimensions: 16,
      });
      const result = await store.readiness().check(AbortSignal.timeout(100));
      expect(result.ok).toBe(false);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('derives point ids from tenant and chunk id', () => {
    expect(chunkPointId('t1', 'd#0')).toBe(chunkPointId('t1', 'd#0'));
    expect(chunkPointId('t1', 'd#0')).not.toBe(chunkPointId('t2', 'd#0'));
    expect(chunkPointId('t1', 'd#0')).not.toBe(chunkPointId('t1', 'd#1'));
    // Tenant and chunk id are separated, so their boundary cannot be shifted.
    expect(chunkPointId('ab', 'c')).not.toBe(chunkPointId('a', 'bc'));
  });
});

import { QdrantClient, QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import type { Schemas } from '@qdrant/js-client-rest';
import { AgentError } from '../../contract/errors.js';
import type { CheckResult, DependencyCheck } from '../../ports/readiness.js';
import type { Chunk, SearchHit, SearchQuery, StoredChunk, VectorStore } from '../../ports/vector-store.js';
import { chunkEmbeddingText } from '../../rag/chunker.js';
import {
  assertSearchQuery,
  assertStoredChunks,
  candidatePoolSize,
  isZeroVector,
  raceAbort,
} from '../../rag/store-checks.js';
import { chunkPointId } from './point-id.js';
import { documentSparseVector, querySparseVector } from './sparse-encoder.js';

/** Options for {@link createQdrantVectorStore}. */
export interface QdrantVectorStoreOptions {
  /** Qdrant's REST base URL, e.g. `http://qdrant:6333`. */
  url: string;
  apiKey?: string;
  collection: string;
  /** Dense vector length; must equal the embedder's. */
  dimensions: number;
  /** A preconfigured client to use instead of building one from `url` and `apiKey`. */
  client?: QdrantClient;
  /** Per-request timeout of a client the store builds. Default 10 s. */
  timeoutMs?: number;
}

/** Name of the dense (embedding) vector of every point. */
export const DENSE_VECTOR = 'dense';
/** Name of the sparse (full-text) vector of every point. */
export const SPARSE_VECTOR = 'text';

const UPSERT_BATCH = 256;

/** What a point's payload holds: the chunk's fields, flattened for payload filters. */
interface ChunkPayload {
  tenant_id: string;
  chunk_id: string;
  document_id: string;
  source: string;
  heading?: string;
  ordinal: number;
  text: string;
  metadata?: Record<string, string>;
}

/**
 * The Qdrant vector store. Each chunk is one point whose id is a UUID derived from tenant and
 * chunk id, with a dense named vector (`dense`, Cosine) and a sparse named vector (`text`) of
 * BM25-weighted hashed terms (IDF applied by Qdrant, see `sparse-encoder.ts`); the payload carries
 * the chunk and its tenant, with keyword payload indexes on tenant (marked `is_tenant`) and
 * document. Search is one Query API call: a dense and a sparse prefetch, each filtered by tenant
 * (and documents), fused server-side with `fusion: 'rrf'`, so hits carry the fused score but no
 * per-ranking ranks.
 */
export function createQdrantVectorStore(opts: QdrantVectorStoreOptions): VectorStore {
  const { collection, dimensions } = opts;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  }
  const client =
    opts.client ??
    new QdrantClient({
      url: opts.url,
      ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
      timeout: opts.timeoutMs ?? 10_000,
      // The version probe runs unawaited at construction and only logs; readiness reports reachability.
      checkCompatibility: false,
    });
  let initializing: Promise<void> | undefined;
  let ready = false;
  let closed = false;

  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (closed) throw new AgentError('shutting_down', { detail: 'vector store is closed' });
    try {
      return await fn();
    } catch (err) {
      throw toQdrantError(operation, err);
    }
  }

  async function ensureCollection(): Promise<void> {
    const { exists } = await call('check collection', () => client.collectionExists(collection));
    if (!exists) {
      try {
        await client.createCollection(collection, {
          vectors: { [DENSE_VECTOR]: { size: dimensions, distance: 'Cosine' } },
          sparse_vectors: { [SPARSE_VECTOR]: { modifier: 'idf' } },
        });
      } catch (err) {
        // Another replica created it between our check and create: fine, verified below.
        if (statusOf(err) !== 409) throw toQdrantError('create collection', err);
      }
    }
    const info = await call('get collection', () => client.getCollection(collection));
    assertCollectionFits(info);
    for (const [field, schema] of [
      ['tenant_id', { type: 'keyword', is_tenant: true }],
      ['document_id', { type: 'keyword' }],
    ] as const) {
      if (info.payload_schema[field] !== undefined) continue;
      await call('create payload index', () =>
        client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true }),
      );
    }
    ready = true;
  }

  function assertCollectionFits(info: Schemas['CollectionInfo']): void {
    const vectors = info.config.params.vectors;
    const dense = vectors !== undefined && !('size' in vectors) ? vectors[DENSE_VECTOR] : undefined;
    const sparse = info.config.params.sparse_vectors?.[SPARSE_VECTOR];
    if (dense?.size !== dimensions || dense.distance !== 'Cosine' || sparse === undefined) {
      throw new AgentError('internal', {
        detail: `Qdrant collection ${collection} does not fit this store: it needs a ${dimensions}-dimensional Cosine vector "${DENSE_VECTOR}" and a sparse vector "${SPARSE_VECTOR}"; re-ingest into a new collection`,
        retryable: false,
        details: { collection, storedDimensions: dense?.size ?? null, configured: dimensions },
      });
    }
  }

  async function ensureReady(): Promise<void> {
    if (ready) return;
    initializing ??= ensureCollection().finally(() => {
      initializing = undefined;
    });
    await initializing;
  }

  function tenantFilter(tenantId: string, documentIds?: string[]): Schemas['Filter'] {
    const must: Schemas['FieldCondition'][] = [{ key: 'tenant_id', match: { value: tenantId } }];
    if (documentIds !== undefined) must.push({ key: 'document_id', match: { any: documentIds } });
    return { must };
  }

  const check: DependencyCheck = {
    name: 'qdrant',
    async check(signal: AbortSignal): Promise<CheckResult> {
      if (closed) return { ok: false, detail: 'vector store is closed' };
      try {
        const info = await raceAbort(client.getCollection(collection), signal);
        if (info.status === 'red') return { ok: false, detail: `collection ${collection} status is red` };
        return ready ? { ok: true } : { ok: false, detail: 'vector store not initialized' };
      } catch (err) {
        if (statusOf(err) === 404) return { ok: false, detail: `collection ${collection} does not exist` };
        return { ok: false, detail: toQdrantError('get collection', err).message };
      }
    },
  };

  return {
    name: 'qdrant',

    async init(): Promise<void> {
      await ensureReady();
    },

    async upsert(chunks: StoredChunk[]): Promise<void> {
      assertStoredChunks(chunks, dimensions);
      if (chunks.length === 0) return;
      await ensureReady();
      // Later duplicates in one batch win, as with repeated upserts.
      const points = [...new Map(chunks.map((c) => [chunkPointId(c.tenantId, c.id), toPoint(c)])).values()];
      for (let i = 0; i < points.length; i += UPSERT_BATCH) {
        const batch = points.slice(i, i + UPSERT_BATCH);
        await call('upsert points', () => client.upsert(collection, { wait: true, points: batch }));
      }
    },

    async deleteDocument(tenantId: string, documentId: string): Promise<number> {
      await ensureReady();
      const filter = tenantFilter(tenantId, [documentId]);
      // Qdrant's delete does not report how many points went, so count first (a concurrent write
      // to the same document may make the figure stale, never the deletion incomplete).
      const { count } = await call('count points', () => client.count(collection, { filter, exact: true }));
      if (count === 0) return 0;
      await call('delete points', () => client.delete(collection, { wait: true, filter }));
      return count;
    },

    async search(q: SearchQuery): Promise<SearchHit[]> {
      assertSearchQuery(q, dimensions);
      if (q.documentIds !== undefined && q.documentIds.length === 0) return [];
      await ensureReady();
      const filter = tenantFilter(q.tenantId, q.documentIds);
      const limit = candidatePoolSize(q.topK);
      const prefetch: Schemas['Prefetch'][] = [];
      if (!isZeroVector(q.vector)) prefetch.push({ query: q.vector, using: DENSE_VECTOR, filter, limit });
      const sparse = querySparseVector(q.text);
      if (sparse.indices.length > 0) prefetch.push({ query: sparse, using: SPARSE_VECTOR, filter, limit });
      if (prefetch.length === 0) return [];
      const res = await call('query points', () =>
        client.query(collection, {
          prefetch,
          query: { fusion: 'rrf' },
          filter,
          limit: q.topK,
          with_payload: true,
        }),
      );
      return res.points.flatMap((p) => {
        const chunk = toChunk(p.payload);
        // The filter already scopes by tenant; the check guards against a misconfigured collection.
        return chunk !== undefined && chunk.tenantId === q.tenantId ? [{ chunk, score: p.score }] : [];
      });
    },

    async get(tenantId: string, chunkIds: string[]): Promise<Chunk[]> {
      if (chunkIds.length === 0) return [];
      await ensureReady();
      const ids = chunkIds.map((id) => chunkPointId(tenantId, id));
      const records = await call('retrieve points', () =>
        client.retrieve(collection, { ids, with_payload: true }),
      );
      const byId = new Map<string, Chunk>();
      for (const r of records) {
        const chunk = toChunk(r.payload);
        if (chunk !== undefined && chunk.tenantId === tenantId) byId.set(chunk.id, chunk);
      }
      return chunkIds.flatMap((id) => {
        const chunk = byId.get(id);
        return chunk === undefined ? [] : [chunk];
      });
    },

    async count(tenantId: string): Promise<number> {
      await ensureReady();
      const res = await call('count points', () =>
        client.count(collection, { filter: tenantFilter(tenantId), exact: true }),
      );
      return res.count;
    },

    readiness(): DependencyCheck {
      return check;
    },

    async close(): Promise<void> {
      if (closed) return;
      await initializing?.catch(() => undefined);
      closed = true;
      ready = false;
    },
  };
}

function toPoint(c: StoredChunk): Schemas['PointStruct'] {
  const payload: ChunkPayload = {
    tenant_id: c.tenantId,
    chunk_id: c.id,
    document_id: c.documentId,
    source: c.source,
    ordinal: c.ordinal,
    text: c.text,
  };
  if (c.heading !== undefined) payload.heading = c.heading;
  if (c.metadata !== undefined) payload.metadata = c.metadata;
  return {
    id: chunkPointId(c.tenantId, c.id),
    vector: { [DENSE_VECTOR]: c.vector, [SPARSE_VECTOR]: documentSparseVector(chunkEmbeddingText(c)) },
    payload: { ...payload },
  };
}

function toChunk(payload: unknown): Chunk | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Partial<Record<keyof ChunkPayload, unknown>>;
  if (typeof p.tenant_id !== 'string' || typeof p.chunk_id !== 'string' || typeof p.document_id !== 'string')
    return undefined;
  const chunk: Chunk = {
    id: p.chunk_id,
    documentId: p.document_id,
    tenantId: p.tenant_id,
    source: typeof p.source === 'string' ? p.source : '',
    ordinal: typeof p.ordinal === 'number' ? p.ordinal : 0,
    text: typeof p.text === 'string' ? p.text : '',
  };
  if (typeof p.heading === 'string') chunk.heading = p.heading;
  if (typeof p.metadata === 'object' && p.metadata !== null)
    chunk.metadata = p.metadata as Record<string, string>;
  return chunk;
}

/** HTTP status of a failed client call, when the server answered. */
function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  return typeof err.status === 'number' ? err.status : undefined;
}

/** Maps client failures onto the error catalogue: an answer with an error, or no answer at all. */
function toQdrantError(operation: string, err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  const status = statusOf(err);
  const details = { dependency: 'qdrant', operation, ...(status === undefined ? {} : { status }) };
  if (status !== undefined) {
    const data = (err as { data?: { status?: { error?: unknown } } }).data;
    const reason =
      typeof data?.status?.error === 'string' ? data.status.error : err instanceof Error ? err.message : '';
    return new AgentError('dependency_failed', {
      detail: `qdrant ${operation} failed with ${status}: ${reason}`,
      retryable: status >= 500 || status === 429,
      details,
      cause: err,
    });
  }
  const reason = err instanceof QdrantClientTimeoutError ? 'timed out' : errorText(err);
  return new AgentError('dependency_unavailable', {
    detail: `qdrant ${operation} failed: ${reason}`,
    details,
    cause: err,
  });
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

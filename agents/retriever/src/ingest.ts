import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  AgentError,
  canonicalJson,
  chunkDocument,
  chunkEmbeddingText,
  type Chunk,
  type Embedder,
  type JobContext,
  type StoredChunk,
  type VectorStore,
} from '@sutazai/agent-kit';
import { defaultDocumentId, documentContentHash } from './document-identity.js';
import type { DocumentRegistry } from './document-registry.js';
import type { KeyedLock } from './keyed-lock.js';
import type { IngestDocument, IngestInput, IngestOutput, IngestedDocument } from './retrieve-schema.js';

/** Default number of chunks per embed call during ingest. */
export const DEFAULT_EMBED_BATCH = 64;

/** What ingesting needs. */
export interface IngestDeps {
  embedder: Embedder;
  store: VectorStore;
  documents: DocumentRegistry;
  /** Serializes the writes of one document (replace = delete, then upsert). */
  locks: KeyedLock;
  /** Chunks per embed call; between calls the job's signal is checked. */
  embedBatchSize?: number;
}

/**
 * `retrieve.ingest`: each document is chunked, embedded and stored in place of its previous
 * version. Embedding comes first, so a failure (model down, deadline) leaves the old version
 * intact; the swap itself is a short delete + upsert under a per-document lock. A document stored
 * with the same content and embedder is not embedded again.
 */
export async function ingestDocuments(
  deps: IngestDeps,
  input: IngestInput,
  ctx: JobContext,
): Promise<IngestOutput> {
  const t0 = performance.now();
  await ctx.emit('step.started', {
    step: 'ingest',
    documents: input.documents.length,
    embedder: deps.embedder.name,
    store: deps.store.name,
  });
  const documents: IngestedDocument[] = [];
  let embeddedChunks = 0;
  for (const doc of input.documents) {
    ctx.signal.throwIfAborted();
    const result = await ingestOne(deps, doc, ctx);
    documents.push(result);
    if (!result.unchanged) embeddedChunks += result.chunks;
    await ctx.emit('step.completed', { step: 'ingest.document', ...result });
  }
  const chunksTotal = documents.reduce((n, d) => n + d.chunks, 0);
  await ctx.emit('step.completed', {
    step: 'ingest',
    documents: documents.length,
    unchanged_documents: documents.filter((d) => d.unchanged).length,
    chunks_total: chunksTotal,
    embedded_chunks: embeddedChunks,
    ms: Math.round(performance.now() - t0),
  });
  return { documents, chunks_total: chunksTotal, embedder: deps.embedder.name, store: deps.store.name };
}

async function ingestOne(deps: IngestDeps, doc: IngestDocument, ctx: JobContext): Promise<IngestedDocument> {
  const { embedder, store, documents } = deps;
  const tenantId = ctx.tenantId;
  const documentId = doc.id ?? defaultDocumentId(tenantId, doc.source);
  const chunks = chunkDocument({
    id: documentId,
    tenantId,
    source: doc.source,
    text: doc.text,
    ...(doc.content_type === undefined ? {} : { contentType: doc.content_type }),
    ...(doc.metadata === undefined ? {} : { metadata: doc.metadata }),
  });
  const contentHash = documentContentHash(embedder.name, doc);
  const base = { document_id: documentId, source: doc.source, chunks: chunks.length };
  if (await alreadyStored(deps, tenantId, documentId, contentHash, chunks)) {
    return { ...base, unchanged: true };
  }
  const vectors = await embedInBatches(
    embedder,
    chunks.map(chunkEmbeddingText),
    ctx.signal,
    deps.embedBatchSize ?? DEFAULT_EMBED_BATCH,
  );
  const stored: StoredChunk[] = chunks.map((chunk, i) => ({ ...chunk, vector: vectors[i] ?? [] }));
  await deps.locks.run(`${tenantId}\u0000${documentId}`, async () => {
    // The record goes first and comes back last: a crash in between leaves no record, and the next
    // ingest of the document embeds it again instead of trusting half-replaced chunks.
    await documents.remove(tenantId, documentId);
    await store.deleteDocument(tenantId, documentId);
    await store.upsert(stored);
    await documents.put({ tenantId, documentId, source: doc.source, contentHash, chunks: chunks.length });
  });
  return { ...base, unchanged: false };
}

/**
 * True when re-embedding can be skipped: the registry saw this exact content, and the store still
 * holds exactly the chunks it would be cut into now (another replica, a wiped store or a changed
 * chunker all show up here), no more and no fewer.
 */
async function alreadyStored(
  deps: IngestDeps,
  tenantId: string,
  documentId: string,
  contentHash: string,
  chunks: Chunk[],
): Promise<boolean> {
  const record = await deps.documents.get(tenantId, documentId);
  if (record === undefined || record.contentHash !== contentHash || record.chunks !== chunks.length) {
    return false;
  }
  // Chunk ids are `<document>#<ordinal>`, so the id after the last one exists only if an older,
  // longer version left chunks behind.
  const ids = [...chunks.map((c) => c.id), `${documentId}#${chunks.length}`];
  const held = await deps.store.get(tenantId, ids);
  return held.length === chunks.length && held.every((h, i) => sameChunk(h, chunks[i]));
}

function sameChunk(a: Chunk, b: Chunk | undefined): boolean {
  return (
    b !== undefined &&
    a.id === b.id &&
    a.documentId === b.documentId &&
    a.source === b.source &&
    a.heading === b.heading &&
    a.ordinal === b.ordinal &&
    a.text === b.text &&
    canonicalJson(a.metadata ?? {}) === canonicalJson(b.metadata ?? {})
  );
}

/** Embeds in batches, checking the signal between them and letting the event loop run. */
async function embedInBatches(
  embedder: Embedder,
  texts: string[],
  signal: AbortSignal,
  batchSize: number,
): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    signal.throwIfAborted();
    out.push(...(await embedder.embed(texts.slice(start, start + batchSize), signal)));
    // A CPU-bound embedder resolves at once; without a macrotask turn a large document would starve
    // every other request (and SSE heartbeat) until it is done.
    await yieldToEventLoop();
  }
  if (out.length !== texts.length) {
    throw new AgentError('model_error', {
      detail: `embedder ${embedder.name} returned ${out.length} vectors for ${texts.length} chunks`,
    });
  }
  return out;
}

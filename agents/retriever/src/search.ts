import {
  AgentError,
  type Embedder,
  type JobContext,
  type SearchHit,
  type SearchQuery,
  type VectorStore,
} from '@sutazai/agent-kit';
import type { Passage, SearchInput, SearchOutput } from './retrieve-schema.js';

/** What searching needs. */
export interface SearchDeps {
  embedder: Embedder;
  store: VectorStore;
}

/**
 * `retrieve.search`: embeds the query as written (chunks are embedded with their heading path, a
 * question has none) and runs the store's hybrid search — vector and full-text rankings fused —
 * within the job's tenant, optionally restricted to some documents.
 */
export async function searchPassages(
  deps: SearchDeps,
  input: SearchInput,
  ctx: JobContext,
): Promise<SearchOutput> {
  const { embedder, store } = deps;
  const t0 = performance.now();
  await ctx.emit('step.started', {
    step: 'search',
    top_k: input.top_k,
    embedder: embedder.name,
    store: store.name,
  });
  const [vector] = await embedder.embed([input.query], ctx.signal);
  if (vector === undefined) {
    throw new AgentError('model_error', { detail: `embedder ${embedder.name} returned no query vector` });
  }
  ctx.signal.throwIfAborted();
  const query: SearchQuery = { tenantId: ctx.tenantId, text: input.query, vector, topK: input.top_k };
  if (input.document_ids !== undefined) query.documentIds = input.document_ids;
  const passages = (await store.search(query)).map(toPassage);
  await ctx.emit('step.completed', {
    step: 'search',
    passages: passages.length,
    ms: Math.round(performance.now() - t0),
  });
  return { passages, embedder: embedder.name, store: store.name };
}

/** A store hit as the pipeline's passage. */
export function toPassage(hit: SearchHit): Passage {
  const { chunk } = hit;
  const passage: Passage = {
    chunk_id: chunk.id,
    document_id: chunk.documentId,
    source: chunk.source,
    text: chunk.text,
    score: hit.score,
  };
  if (chunk.heading !== undefined) passage.heading = chunk.heading;
  return passage;
}

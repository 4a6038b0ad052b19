import type { DependencyCheck } from './readiness.js';

/** One retrievable piece of a document, as the chunker cuts it and the store returns it. */
export interface Chunk {
  /** Unique within the tenant; the chunker makes it `${documentId}#${ordinal}`. */
  id: string;
  documentId: string;
  tenantId: string;
  /** Where the document came from (file name, URL, …), shown in citations. */
  source: string;
  /** Heading path of the section the chunk belongs to, e.g. `Setup > Install`. */
  heading?: string;
  /** Position of the chunk within its document, from 0. */
  ordinal: number;
  text: string;
  metadata?: Record<string, string>;
}

/** A chunk with its embedding, as written to the store. */
export type StoredChunk = Chunk & { vector: number[] };

/** A hybrid query: `text` drives the full-text ranking, `vector` (its embedding) the vector ranking. */
export interface SearchQuery {
  tenantId: string;
  text: string;
  vector: number[];
  /** Maximum number of hits returned. */
  topK: number;
  /** Restricts the search to these documents; `[]` matches nothing, absent matches all. */
  documentIds?: string[];
}

/** One search result. */
export interface SearchHit {
  chunk: Chunk;
  /** Fused reciprocal-rank score: higher is better; comparable only within one result list. */
  score: number;
  /** 1-based rank in the vector ranking, when the adapter fuses client-side and the chunk was in it. */
  vectorRank?: number;
  /** 1-based rank in the full-text ranking, when the adapter fuses client-side and the chunk was in it. */
  textRank?: number;
}

/**
 * The vector store port: chunk storage with hybrid retrieval (a vector ranking and a full-text
 * ranking fused with reciprocal rank fusion). Tenants are isolated: no call made for one tenant
 * reads, counts, overwrites or deletes another tenant's chunks, even when chunk ids coincide. Every
 * adapter must pass `runVectorStoreConformance`.
 */
export interface VectorStore {
  /** Adapter name, e.g. `pglite`, `qdrant`. */
  readonly name: string;
  /** Creates the schema or collection when missing and checks it fits. Idempotent. */
  init(): Promise<void>;
  /** Inserts or replaces chunks by (tenantId, id). */
  upsert(chunks: StoredChunk[]): Promise<void>;
  /** Removes every chunk of the document; resolves to how many were removed. */
  deleteDocument(tenantId: string, documentId: string): Promise<number>;
  /** Hybrid search, best first, at most `topK` hits. */
  search(q: SearchQuery): Promise<SearchHit[]>;
  /** The tenant's chunks with these ids, in the order asked; unknown ids are skipped. */
  get(tenantId: string, chunkIds: string[]): Promise<Chunk[]>;
  /** Number of chunks the tenant has stored. */
  count(tenantId: string): Promise<number>;
  /** Readiness check for `/ready`. */
  readiness(): DependencyCheck;
  /** Releases what the store opened itself. Idempotent. */
  close(): Promise<void>;
}

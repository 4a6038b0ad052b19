export {
  RETRIEVER,
  buildRetriever,
  retrieverDefinition,
  type RetrieverDeps,
  type RetrieverOptions,
} from './agent.js';
export {
  createEmbedderFromConfig,
  readEmbedDimensions,
  EMBED_DIMENSIONS_VARIABLE,
  type ConfiguredEmbedder,
  type EmbedderConfigOptions,
} from './embedder-from-config.js';
export {
  openRetrieverStorage,
  type RetrieverStorage,
  type RetrieverStorageOptions,
} from './retriever-storage.js';
export {
  createSqlDocumentRegistry,
  DOCUMENT_TABLE,
  type DocumentRecord,
  type DocumentRegistry,
  type SqlConnection,
} from './document-registry.js';
export { defaultDocumentId, documentContentHash, vectorSpaceName } from './document-identity.js';
export { ingestDocuments, DEFAULT_EMBED_BATCH, type IngestDeps } from './ingest.js';
export { searchPassages, toPassage, type SearchDeps } from './search.js';
export { KeyedLock } from './keyed-lock.js';
export * from './retrieve-schema.js';

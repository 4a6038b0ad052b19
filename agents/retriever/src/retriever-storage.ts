import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import {
  ConfigError,
  createPgliteVectorStore,
  createQdrantVectorStore,
  type AgentConfig,
  type Embedder,
  type VectorStore,
} from '@sutazai/agent-kit';
import { createSqlDocumentRegistry, type DocumentRegistry } from './document-registry.js';
import { vectorSpaceName } from './document-identity.js';

/** Options for {@link openRetrieverStorage}. */
export interface RetrieverStorageOptions {
  /** `pglite`: embedded, persisted under `<dataDir>/vectors`; `memory`: PGlite in memory; `qdrant`: the server at `qdrantUrl`. */
  provider: AgentConfig['vectorProvider'];
  /** Where embedded databases persist; required unless `provider` is `memory`. */
  dataDir?: string;
  /** Qdrant's REST URL; required when `provider` is `qdrant`. */
  qdrantUrl?: string;
  /** The embedder whose vectors the store keeps: decides dimensions and the table/collection name. */
  embedder: Embedder;
}

/** The retriever's chunk store and document registry, opened and initialized. */
export interface RetrieverStorage {
  store: VectorStore;
  documents: DocumentRegistry;
  /** Table (PGlite) or collection (Qdrant) of the chunks. */
  space: string;
  /** Closes the store, then the database it shares with the registry. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens where the retriever keeps its data. With PGlite the chunks and the document registry share
 * one database (`<dataDir>/vectors`, or memory); with Qdrant the chunks go to the server and the
 * registry to a local PGlite under `<dataDir>/documents` — a registry record there only ever lets an
 * ingest skip embedding after the chunks in Qdrant were checked, so several replicas with their own
 * registries stay correct.
 */
export async function openRetrieverStorage(opts: RetrieverStorageOptions): Promise<RetrieverStorage> {
  const { embedder } = opts;
  const space = vectorSpaceName(embedder.name);
  const dataDir = (): string => {
    if (opts.dataDir === undefined) throw new ConfigError('DATA_DIR', 'a directory path', undefined);
    return opts.dataDir;
  };
  let db: PGlite | undefined;
  let store: VectorStore | undefined;
  const close = async (): Promise<void> => {
    try {
      await store?.close();
    } finally {
      if (db !== undefined && !db.closed) await db.close();
    }
  };
  try {
    if (opts.provider === 'qdrant') {
      if (!opts.qdrantUrl) throw new ConfigError('QDRANT_URL', 'set when VECTOR_PROVIDER=qdrant', undefined);
      // The server first: when it is unreachable there is no local database to open and close again.
      store = createQdrantVectorStore({
        url: opts.qdrantUrl,
        collection: space,
        dimensions: embedder.dimensions,
      });
      await store.init();
      db = await PGlite.create({ dataDir: ensureDir(join(dataDir(), 'documents')) });
    } else {
      db = await PGlite.create({
        ...(opts.provider === 'memory' ? {} : { dataDir: ensureDir(join(dataDir(), 'vectors')) }),
        extensions: { vector },
      });
      store = createPgliteVectorStore({ db, dimensions: embedder.dimensions, table: space });
      await store.init();
    }
    const documents = createSqlDocumentRegistry(db, space);
    await documents.init();
    let closing: Promise<void> | undefined;
    return { store, documents, space, close: () => (closing ??= close()) };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

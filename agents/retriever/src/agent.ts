import {
  defineKind,
  type AgentDefinition,
  type AgentFactoryResult,
  type AgentRuntime,
  type Embedder,
  type VectorStore,
} from '@sutazai/agent-kit';
import type { DocumentRegistry } from './document-registry.js';
import { createEmbedderFromConfig, type EmbedderConfigOptions } from './embedder-from-config.js';
import { ingestDocuments } from './ingest.js';
import { KeyedLock } from './keyed-lock.js';
import { openRetrieverStorage } from './retriever-storage.js';
import { IngestInput, IngestOutput, SearchInput, SearchOutput } from './retrieve-schema.js';
import { searchPassages } from './search.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const RETRIEVER = { agentName: 'retriever', port: 11001 } as const;

/** What the retriever's kinds work on. */
export interface RetrieverDeps {
  embedder: Embedder;
  store: VectorStore;
  documents: DocumentRegistry;
  /** Chunks per embed call during ingest (default 64). */
  embedBatchSize?: number;
}

/** Options of {@link buildRetriever} beyond the kit's config. */
export type RetrieverOptions = EmbedderConfigOptions;

/** How long the post-start warm-up embed may take (it may have to load the model). */
const WARM_UP_TIMEOUT_MS = 120_000;

/** The retriever's definition: `retrieve.ingest` and `retrieve.search` over the given embedder and store. */
export function retrieverDefinition(deps: RetrieverDeps): AgentDefinition {
  const locks = new KeyedLock();
  return {
    name: RETRIEVER.agentName,
    version: '0.1.0',
    capability: 'retrieve',
    description:
      'Ingests documents (chunking, embeddings) and retrieves the passages relevant to a query (vector + full-text hybrid), per tenant.',
    kinds: {
      'retrieve.ingest': defineKind({
        description:
          'Chunk, embed and store documents; re-ingesting a document id replaces its chunks, an unchanged document is not re-embedded.',
        input: IngestInput,
        output: IngestOutput,
        example: {
          documents: [
            {
              id: 'examples/getting-started.md',
              source: 'examples/getting-started.md',
              content_type: 'text/markdown',
              text: '# Getting started\n\nRun `npm start` to launch the stack on embedded defaults.\n\n## Tests\n\nRun `npm test` to run every test group with coverage.\n',
            },
          ],
        },
        handler: (input, ctx) => ingestDocuments({ ...deps, locks }, input, ctx),
      }),
      'retrieve.search': defineKind({
        description: "Find the passages of the tenant's documents most relevant to a query, best first.",
        input: SearchInput,
        output: SearchOutput,
        // Succeeds on an empty store too (with no passages).
        example: { query: 'How do I launch the stack?', top_k: 3 },
        handler: (input, ctx) => searchPassages(deps, input, ctx),
      }),
    },
  };
}

/**
 * Builds the retriever for a runtime (the kit's `runAgent` calls this): the embedder the config
 * names (`EMBED_MODEL` on Ollama, else the built-in one), the store (`VECTOR_PROVIDER`: PGlite
 * under `DATA_DIR/vectors` by default, in memory, or Qdrant) initialized, its readiness (and the
 * model's), a warm-up embed after listen when the embedder is a model, and closing the store.
 */
export async function buildRetriever(
  rt: AgentRuntime,
  opts: RetrieverOptions = {},
): Promise<AgentFactoryResult> {
  const { config, logger, metrics } = rt;
  const { embedder, llm } = await createEmbedderFromConfig(config, metrics, opts);
  const storage = await openRetrieverStorage({
    provider: config.vectorProvider,
    dataDir: config.dataDir,
    ...(config.qdrantUrl === undefined ? {} : { qdrantUrl: config.qdrantUrl }),
    embedder,
  });
  logger.info(
    {
      embedder: embedder.name,
      dimensions: embedder.dimensions,
      store: storage.store.name,
      space: storage.space,
    },
    'retriever storage ready',
  );
  const result: AgentFactoryResult = {
    definition: retrieverDefinition({ embedder, store: storage.store, documents: storage.documents }),
    checks: llm === undefined ? [storage.store.readiness()] : [storage.store.readiness(), llm.readiness()],
    close: () => storage.close(),
  };
  if (llm !== undefined) {
    // An embedding model is loaded by embedding: the kit's text-model preload does not apply to it.
    result.afterListen = async () => {
      await embedder.embed(['warm-up'], AbortSignal.timeout(WARM_UP_TIMEOUT_MS));
    };
  }
  return result;
}

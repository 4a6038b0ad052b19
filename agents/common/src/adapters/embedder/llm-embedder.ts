import { AgentError } from '../../contract/errors.js';
import type { Embedder } from '../../ports/embedder.js';

/** Request of {@link EmbeddingModel.embed}. */
export interface EmbeddingRequest {
  input: string[];
  model?: string;
  signal?: AbortSignal;
}

/**
 * What this adapter needs from a model client: the embed call of the LLM port, typed
 * structurally so any client with that method (the Ollama adapter, a fake) fits.
 */
export interface EmbeddingModel {
  embed(req: EmbeddingRequest): Promise<{ embeddings: number[][] }>;
}

/** Options for {@link createLlmEmbedder}. */
export interface LlmEmbedderOptions {
  llm: EmbeddingModel;
  /** The length the model's vectors have; every returned vector is checked against it. */
  dimensions: number;
  /** Model to ask for; absent means the client's default. */
  model?: string;
  /** Embedder name; defaults to `llm:<model>` (or `llm:default`). */
  name?: string;
  /** Texts per model call, so a large document does not become one huge request. Default 32. */
  batchSize?: number;
}

/**
 * An {@link Embedder} backed by an embedding model. The declared dimensions are a contract with
 * the vector store, so a model that answers with another length (a misconfigured model name, a
 * model swapped under the same tag) fails loudly with `model_error` instead of corrupting the store.
 */
export function createLlmEmbedder(opts: LlmEmbedderOptions): Embedder {
  const { llm, dimensions, model } = opts;
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`embedder dimensions must be a positive integer, got ${dimensions}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`embedder batchSize must be a positive integer, got ${batchSize}`);
  }
  const name = opts.name ?? `llm:${model ?? 'default'}`;

  async function embedBatch(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const req: EmbeddingRequest = { input };
    if (model !== undefined) req.model = model;
    if (signal !== undefined) req.signal = signal;
    const { embeddings } = await llm.embed(req);
    if (!Array.isArray(embeddings) || embeddings.length !== input.length) {
      throw new AgentError('model_error', {
        detail: `embedding model returned ${Array.isArray(embeddings) ? embeddings.length : 'no'} vectors for ${input.length} texts`,
        details: { embedder: name },
      });
    }
    embeddings.forEach((vector, i) => {
      if (!Array.isArray(vector) || vector.length !== dimensions) {
        throw new AgentError('model_error', {
          detail: `embedding model returned a vector of length ${Array.isArray(vector) ? vector.length : 'none'}; expected ${dimensions}`,
          retryable: false,
          details: { embedder: name, index: i, expected: dimensions },
        });
      }
      if (!vector.every(Number.isFinite)) {
        throw new AgentError('model_error', {
          detail: 'embedding model returned a vector with non-finite values',
          details: { embedder: name, index: i },
        });
      }
    });
    return embeddings;
  }

  return {
    name,
    dimensions,
    async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
      const out: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        signal?.throwIfAborted();
        out.push(...(await embedBatch(texts.slice(start, start + batchSize), signal)));
      }
      return out;
    },
  };
}

import {
  AgentError,
  ConfigError,
  createHashingEmbedder,
  createLlmEmbedder,
  createLlmFromConfig,
  isAgentError,
  type AgentConfig,
  type Embedder,
  type LlmClient,
  type TokenCounter,
} from '@sutazai/agent-kit';

/** The embedder the config names, and the model client behind it when it is a model. */
export interface ConfiguredEmbedder {
  embedder: Embedder;
  /** The embedding model's client (its readiness is the retriever's); absent for the built-in embedder. */
  llm?: LlmClient;
}

/** Options for {@link createEmbedderFromConfig}. */
export interface EmbedderConfigOptions {
  /** The model's vector length when known (`EMBED_DIMENSIONS`); absent: learned by one probe embed. */
  embedDimensions?: number;
  /** Longest wait for the probe embed, which may have to load the model first. Default 120 s. */
  probeTimeoutMs?: number;
}

/** Name of the env variable that states the embedding model's dimensions (skipping the probe). */
export const EMBED_DIMENSIONS_VARIABLE = 'EMBED_DIMENSIONS';

/**
 * Reads `EMBED_DIMENSIONS` (absent or empty: undefined). The kit's config does not know it, so the
 * retriever's `main.ts` reads it; a bad value raises {@link ConfigError} naming the variable.
 */
export function readEmbedDimensions(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[EMBED_DIMENSIONS_VARIABLE];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 65_536) {
    throw new ConfigError(EMBED_DIMENSIONS_VARIABLE, 'an integer from 1 to 65536', raw);
  }
  return n;
}

/**
 * Builds the embedder: the Ollama model `EMBED_MODEL` at `OLLAMA_BASE_URL` when set, otherwise the
 * built-in hashing embedder (no model download). A model's vector length is a contract with the
 * store, so it is taken from `embedDimensions` or learned from one probe embed, never assumed.
 */
export async function createEmbedderFromConfig(
  config: AgentConfig,
  tokens: TokenCounter,
  opts: EmbedderConfigOptions = {},
): Promise<ConfiguredEmbedder> {
  const model = config.embedModel;
  if (model === undefined) return { embedder: createHashingEmbedder() };
  // The kit's client checks and warms its text model; the retriever uses no text model, so the
  // embedding model takes that place and readiness asks for exactly what the retriever needs.
  const llm = createLlmFromConfig({ ...config, modelId: model }, tokens);
  if (llm === undefined) {
    throw new ConfigError('OLLAMA_BASE_URL', 'set when EMBED_MODEL is set', undefined);
  }
  const dimensions =
    opts.embedDimensions ?? (await probeDimensions(llm, model, opts.probeTimeoutMs ?? 120_000));
  const embedder = createLlmEmbedder({ llm, dimensions, model, name: `${llm.provider}:${model}` });
  return { embedder, llm };
}

async function probeDimensions(llm: LlmClient, model: string, timeoutMs: number): Promise<number> {
  const hint = `set ${EMBED_DIMENSIONS_VARIABLE} to start without asking the model`;
  let vectors: number[][];
  try {
    ({ embeddings: vectors } = await llm.embed({
      input: ['dimension probe'],
      model,
      signal: AbortSignal.timeout(timeoutMs),
    }));
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    throw new AgentError(isAgentError(err) ? err.code : 'model_unavailable', {
      detail: `could not learn the dimensions of embedding model "${model}": ${cause}; ${hint}`,
      cause: err,
    });
  }
  const length = vectors[0]?.length ?? 0;
  if (length < 1) {
    throw new AgentError('model_error', {
      detail: `embedding model "${model}" answered the dimension probe with an empty vector; ${hint}`,
      retryable: false,
    });
  }
  return length;
}

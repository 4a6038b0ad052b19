import type { AgentConfig } from '../../config.js';
import type { LlmClient, TokenCounter } from '../../ports/llm.js';
import { createOllamaClient } from './ollama-client.js';

/** The LLM the config names (Ollama at `OLLAMA_BASE_URL`), or undefined when none is configured. */
export function createLlmFromConfig(config: AgentConfig, tokens: TokenCounter): LlmClient | undefined {
  if (!config.ollamaBaseUrl) return undefined;
  return createOllamaClient({
    baseUrl: config.ollamaBaseUrl,
    model: config.modelId,
    ...(config.embedModel ? { embedModel: config.embedModel } : {}),
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    keepAlive: '30m',
    tokens,
  });
}

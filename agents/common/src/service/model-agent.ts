import { createLlmFromConfig } from '../adapters/ollama/from-config.js';
import type { LlmClient } from '../ports/llm.js';
import type { AgentDefinition } from './agent-definition.js';
import type { AgentFactoryResult, AgentRuntime } from './run-agent.js';

/**
 * Builds an agent that uses the configured model when there is one (`OLLAMA_BASE_URL`): `/ready`
 * then waits for the model to be loaded, and it is preloaded after listen. Without one, `make`
 * gets `undefined` and the agent runs on its model-free path.
 */
export function buildWithModel(
  rt: Pick<AgentRuntime, 'config' | 'metrics'>,
  make: (llm: LlmClient | undefined) => AgentDefinition,
): AgentFactoryResult {
  const llm = createLlmFromConfig(rt.config, rt.metrics);
  const definition = make(llm);
  return llm ? { definition, checks: [llm.readiness()], afterListen: () => llm.warmUp() } : { definition };
}

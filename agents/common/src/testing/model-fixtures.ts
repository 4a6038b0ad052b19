import { createLlmFromConfig } from '../adapters/ollama/from-config.js';
import { loadConfig } from '../config.js';
import { AgentMetrics } from '../observability/metrics.js';
import type { LlmClient } from '../ports/llm.js';
import { noopLogger } from '../ports/logger.js';
import type { AgentRuntime } from '../service/run-agent.js';

/** The runtime an agent factory gets from `runAgent`, built from `env` the same way, without logs. */
export function testRuntime(
  env: Record<string, string>,
  agent: { agentName: string; port: number },
): AgentRuntime {
  return {
    config: loadConfig(env, agent),
    logger: noopLogger,
    metrics: new AgentMetrics({ namespace: 'test', agent: agent.agentName }),
  };
}

/** The LLM client an agent would build for the model server at `url` (plus `env`). */
export function testLlm(
  url: string,
  agent: { agentName: string; port: number },
  env: Record<string, string> = {},
): LlmClient {
  const rt = testRuntime({ OLLAMA_BASE_URL: url, ...env }, agent);
  const llm = createLlmFromConfig(rt.config, rt.metrics);
  if (!llm) throw new Error('OLLAMA_BASE_URL did not configure a model');
  return llm;
}

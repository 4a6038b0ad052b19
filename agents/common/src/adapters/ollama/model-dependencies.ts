import type { LlmClient } from '../../ports/llm.js';
import type { DependencyCheck } from '../../ports/readiness.js';

/** What an agent that uses a model adds to its service: `/ready` waits for the model, which is preloaded after listen. */
export function modelDependencies(llm: LlmClient): {
  checks: DependencyCheck[];
  afterListen: () => Promise<void>;
} {
  return { checks: [llm.readiness()], afterListen: () => llm.warmUp() };
}

import {
  ReplicaPool,
  defineKind,
  type AgentDefinition,
  type AgentFactoryResult,
  type AgentRuntime,
  type Logger,
} from '@sutazai/agent-kit';
import { AgentLink } from './agent-link.js';
import { loadOrchestratorConfig, type OrchestratorConfig } from './config.js';
import { createHttpCaller } from './http-caller.js';
import { CAPABILITY_AGENTS, answerQuestion, type CapabilityAgent } from './pipeline.js';
import { RagAnswerInput, RagAnswerOutput } from './rag-schema.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const ORCHESTRATOR = { agentName: 'orchestrator', port: 11000 } as const;

/** The capability agents the orchestrator calls, each behind its link. */
export type AgentLinks = Readonly<Record<CapabilityAgent, AgentLink>>;

/**
 * One link per capability agent: at the configured addresses, or — given a pool over the shared
 * registry — to a live replica per request (round robin, passing over replicas that refused).
 */
export function createAgentLinks(
  config: OrchestratorConfig,
  log?: Logger,
  replicas?: ReplicaPool,
): AgentLinks {
  const entries = CAPABILITY_AGENTS.map(
    (name) =>
      [
        name,
        new AgentLink({
          name,
          baseUrl: replicas ? replicas.resolver(name) : config.agentUrls[name],
          unreachableMs: config.unreachableMs,
          ...(replicas ? { fetch: replicas.observe(globalThis.fetch) } : {}),
          ...(log ? { log } : {}),
        }),
      ] as const,
  );
  return Object.fromEntries(entries) as Record<CapabilityAgent, AgentLink>;
}

/** The orchestrator's definition: one kind, `rag.answer`, routed through the given agents. */
export function orchestratorDefinition(links: AgentLinks): AgentDefinition {
  return {
    name: ORCHESTRATOR.agentName,
    version: '0.1.0',
    capability: 'orchestrate',
    description:
      'Answers a question over the ingested documents: retrieve → plan → generate → verify, regenerating with the verifier’s feedback when verification fails.',
    kinds: {
      'rag.answer': defineKind({
        description:
          'Answer a question from retrieved passages, with citations, a plan and a verified verdict.',
        input: RagAnswerInput,
        output: RagAnswerOutput,
        example: { question: 'How do I start the stack?', top_k: 5, max_regenerations: 1 },
        handler: (input, ctx) => answerQuestion(input, createHttpCaller(links, ctx)),
      }),
    },
  };
}

/**
 * Builds the orchestrator from its runtime and an already validated config. With the runtime's
 * shared registry (`REDIS_URL`), calls go to live replicas and `AGENT_URL_<NAME>` is not used.
 */
export function createOrchestrator(rt: AgentRuntime, config: OrchestratorConfig): AgentFactoryResult {
  const replicas = rt.registry ? new ReplicaPool({ registry: rt.registry, log: rt.logger }) : undefined;
  const links = createAgentLinks(config, rt.logger, replicas);
  return {
    definition: orchestratorDefinition(links),
    checks: CAPABILITY_AGENTS.map((name) => links[name].client.readiness()),
    close: async () => {
      for (const name of CAPABILITY_AGENTS) links[name].close();
    },
  };
}

/** Builds the orchestrator for a runtime (the kit's `runAgent` calls this); reads `AGENT_URL_*` from the environment. */
export function buildOrchestrator(rt: AgentRuntime): AgentFactoryResult {
  return createOrchestrator(rt, loadOrchestratorConfig(process.env));
}

export {
  ORCHESTRATOR,
  buildOrchestrator,
  createOrchestrator,
  createAgentLinks,
  orchestratorDefinition,
  type AgentLinks,
} from './agent.js';
export { AgentLink, type AgentLinkOptions, type CallGuard } from './agent-link.js';
export {
  loadOrchestratorConfig,
  agentUrlVariable,
  DEFAULT_AGENT_PORTS,
  DEFAULT_UNREACHABLE_MS,
  type OrchestratorConfig,
} from './config.js';
export { createHttpCaller, childFailure, callFailure } from './http-caller.js';
export {
  answerQuestion,
  enrichCitations,
  stepFailure,
  stepId,
  ROUTE,
  CAPABILITY_AGENTS,
  type AgentCaller,
  type CallOutcome,
  type CapabilityAgent,
  type StepDef,
} from './pipeline.js';
export * from './rag-schema.js';

import { ConfigError } from '@sutazai/agent-kit';
import { CAPABILITY_AGENTS, type CapabilityAgent } from './pipeline.js';

/** Registered ports of the capability agents (agents/PortRegistry.md): the default addresses. */
export const DEFAULT_AGENT_PORTS: Readonly<Record<CapabilityAgent, number>> = {
  retriever: 11001,
  planner: 11002,
  generator: 11003,
  verifier: 11004,
};

/** Default of `AGENT_UNREACHABLE_MS`. */
export const DEFAULT_UNREACHABLE_MS = 5000;

/** The orchestrator's own settings, beyond the kit's AgentConfig; validated once, frozen. */
export interface OrchestratorConfig {
  /** Base URL of each capability agent (`AGENT_URL_<NAME>`). */
  readonly agentUrls: Readonly<Record<CapabilityAgent, string>>;
  /** How long a called agent may stay unreachable during a step before the step fails (`AGENT_UNREACHABLE_MS`). */
  readonly unreachableMs: number;
}

/** The variable holding an agent's base URL: `AGENT_URL_RETRIEVER` for `retriever`. */
export function agentUrlVariable(agent: CapabilityAgent): string {
  return `AGENT_URL_${agent.toUpperCase()}`;
}

function present(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const raw = env[variable];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function parseAgentUrl(variable: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'an http(s) URL like http://127.0.0.1:11001', raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.search || url.hash) {
    throw new ConfigError(variable, 'an http(s) URL like http://127.0.0.1:11001', raw);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * Reads `AGENT_URL_<NAME>` for each capability agent (default `http://127.0.0.1:<registered port>`)
 * and `AGENT_UNREACHABLE_MS`. Throws {@link ConfigError} (one line naming the variable) on a bad value.
 */
export function loadOrchestratorConfig(env: NodeJS.ProcessEnv): OrchestratorConfig {
  const agentUrls = {} as Record<CapabilityAgent, string>;
  for (const agent of CAPABILITY_AGENTS) {
    const variable = agentUrlVariable(agent);
    const raw = present(env, variable);
    agentUrls[agent] =
      raw === undefined ? `http://127.0.0.1:${DEFAULT_AGENT_PORTS[agent]}` : parseAgentUrl(variable, raw);
  }
  const rawMs = present(env, 'AGENT_UNREACHABLE_MS');
  let unreachableMs = DEFAULT_UNREACHABLE_MS;
  if (rawMs !== undefined) {
    const n = /^\d+$/.test(rawMs) ? Number(rawMs) : NaN;
    if (!(n >= 100 && n <= 600_000))
      throw new ConfigError('AGENT_UNREACHABLE_MS', 'an integer from 100 to 600000', rawMs);
    unreachableMs = n;
  }
  return Object.freeze({ agentUrls: Object.freeze(agentUrls), unreachableMs });
}

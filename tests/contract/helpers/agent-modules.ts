import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentFactoryResult, AgentRuntime } from '@sutazai/agent-kit';
import { REPO_ROOT, type AgentManifest } from '../../../scripts/inventory.js';

/** What `runAgent` takes: builds an agent's capability from its runtime. */
export type AgentFactory = (rt: AgentRuntime) => Promise<AgentFactoryResult> | AgentFactoryResult;

/** An agent's entry module, reduced to what a harness needs to build it. */
export interface AgentModule {
  /** The exported `{ agentName, port }` constant (e.g. `PLANNER`) that `main.ts` passes to `runAgent`. */
  defaults: { agentName: string; port: number };
  /** The factory export named by the manifest (`sutazai.factory`, or `build<Agent>` by convention). */
  factory: AgentFactory;
}

function isDefaults(value: unknown, agent: string): value is { agentName: string; port: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.agentName === agent && typeof v.port === 'number';
}

/**
 * Imports `agents/<dir>/<entry>` and finds, by the agent convention, its factory and its
 * `{ agentName, port }` constant; throws naming the missing export so a new agent learns the rule.
 */
export async function loadAgentModule(
  manifest: AgentManifest,
  root: string = REPO_ROOT,
): Promise<AgentModule> {
  const file = path.join(root, 'agents', manifest.dir, manifest.entry);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const factory = mod[manifest.factory];
  if (typeof factory !== 'function') {
    throw new Error(
      `agents/${manifest.dir}/${manifest.entry} must export the factory ${manifest.factory}(runtime)`,
    );
  }
  const defaults = Object.values(mod).find((v) => isDefaults(v, manifest.agent));
  if (!isDefaults(defaults, manifest.agent)) {
    throw new Error(
      `agents/${manifest.dir}/${manifest.entry} must export a constant { agentName: '${manifest.agent}', port } for runAgent`,
    );
  }
  return {
    defaults: { agentName: defaults.agentName, port: defaults.port },
    factory: factory as AgentFactory,
  };
}

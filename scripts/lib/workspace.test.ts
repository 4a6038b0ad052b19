import { describe, expect, it } from 'vitest';
import { discoverAgents, planReplicas, type AgentPackage } from './workspace.js';

const pkg = (agent: string, port: number, capability: string): AgentPackage => ({
  dir: `agents/${agent}`,
  agent,
  port,
  capability,
  main: 'src/main.ts',
  factory: undefined,
  packageName: `@sutazai/${agent}`,
});

const AGENTS = [
  pkg('orchestrator', 11000, 'orchestrate'),
  pkg('retriever', 11001, 'retrieve'),
  pkg('planner', 11002, 'plan'),
];

describe('planReplicas', () => {
  it('starts one process per agent at its registered port by default', () => {
    const plan = planReplicas(AGENTS, { replicas: 1, portOffset: 0, sharedVectors: false });
    expect(plan.slots.map((s) => [s.name, s.port])).toEqual([
      ['orchestrator', 11000],
      ['retriever', 11001],
      ['planner', 11002],
    ]);
    expect(plan.notes).toEqual([]);
  });

  it('adds replicas of capability agents at port + 100, one orchestrator, one retriever over PGlite', () => {
    const plan = planReplicas(AGENTS, { replicas: 2, portOffset: 5, sharedVectors: false });
    expect(plan.slots.map((s) => [s.name, s.index, s.port])).toEqual([
      ['orchestrator', 0, 11005],
      ['retriever', 0, 11006],
      ['planner', 0, 11007],
      ['planner-2', 1, 11107],
    ]);
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toMatch(/^retriever: one replica .*VECTOR_PROVIDER=qdrant/);
  });

  it('replicates the retriever too when its vectors are in a shared server', () => {
    const plan = planReplicas(AGENTS, { replicas: 2, portOffset: 0, sharedVectors: true });
    expect(plan.slots.filter((s) => s.agent.agent === 'retriever').map((s) => s.port)).toEqual([
      11001, 11101,
    ]);
    expect(plan.notes).toEqual([]);
  });

  it('plans the agents of this repository without two processes on one port', () => {
    const plan = planReplicas(discoverAgents(), { replicas: 2, portOffset: 0, sharedVectors: true });
    const ports = plan.slots.map((s) => s.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(plan.slots.length).toBeGreaterThan(discoverAgents().length);
  });
});

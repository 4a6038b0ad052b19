import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** An agent package as its package.json `sutazai` field declares it. */
export interface AgentPackage {
  /** Folder under agents/. */
  dir: string;
  agent: string;
  port: number;
  capability: string;
  /** Entry file relative to the agent folder. */
  main: string;
  /** The factory export of src/index.ts. */
  factory: string | undefined;
  packageName: string;
}

/** A service of the stack that is not an agent (the Backend Mesh). */
export interface ServicePackage {
  dir: string;
  name: string;
  port: number;
  main: string;
}

interface Manifest {
  name?: string;
  sutazai?: {
    agent?: string;
    service?: string;
    port?: number;
    capability?: string;
    main?: string;
    factory?: string;
  };
}

function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
}

/** Every agent under agents/ whose package.json has a `sutazai.agent` field, sorted by port. */
export function discoverAgents(root = ROOT): AgentPackage[] {
  const base = join(root, 'agents');
  const out: AgentPackage[] = [];
  for (const dir of readdirSync(base, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const m = readManifest(join(base, dir.name));
    const s = m?.sutazai;
    if (!s?.agent || typeof s.port !== 'number') continue;
    out.push({
      dir: `agents/${dir.name}`,
      agent: s.agent,
      port: s.port,
      capability: s.capability ?? '',
      main: s.main ?? 'src/main.ts',
      factory: s.factory,
      packageName: m?.name ?? dir.name,
    });
  }
  return out.sort((a, b) => a.port - b.port);
}

/** Non-agent services of the stack (a top-level folder whose package.json has `sutazai.service`). */
export function discoverServices(root = ROOT): ServicePackage[] {
  const out: ServicePackage[] = [];
  for (const dir of ['backend']) {
    const s = readManifest(join(root, dir))?.sutazai;
    if (s?.service && typeof s.port === 'number')
      out.push({ dir, name: s.service, port: s.port, main: s.main ?? 'src/main.ts' });
  }
  return out;
}

/** Ports of an agent's further replicas: the registered port plus 100 per replica (11001, 11101, …). */
export const REPLICA_PORT_STEP = 100;

/** One process of an agent the stack starts. */
export interface ReplicaSlot {
  agent: AgentPackage;
  /** 0 for the first replica. */
  index: number;
  /** `retriever`, then `retriever-2`, …: the process's name in logs and its data folder. */
  name: string;
  port: number;
}

/** How many replicas of each agent the stack starts, and why some get fewer. */
export interface ReplicaPlan {
  slots: ReplicaSlot[];
  /** One line per agent started with fewer replicas than asked, saying why. */
  notes: string[];
}

/**
 * The processes of a stack with `replicas` replicas per capability agent. The orchestrator runs
 * once (it only coordinates; one is enough for a stack on one machine). The retriever runs once
 * unless its vectors live in a server every replica shares (`sharedVectors`, i.e. Qdrant): the
 * embedded PGlite store belongs to one process, and replicas each with their own store would
 * answer the same search differently.
 */
export function planReplicas(
  agents: readonly AgentPackage[],
  opts: { replicas: number; portOffset: number; sharedVectors: boolean },
): ReplicaPlan {
  const slots: ReplicaSlot[] = [];
  const notes: string[] = [];
  for (const agent of agents) {
    let count = opts.replicas;
    if (count > 1 && agent.capability === 'orchestrate') count = 1;
    if (count > 1 && agent.capability === 'retrieve' && !opts.sharedVectors) {
      count = 1;
      notes.push(
        `${agent.agent}: one replica — its vectors are in an embedded PGlite that one process owns; ` +
          'set VECTOR_PROVIDER=qdrant and QDRANT_URL to run more',
      );
    }
    for (let index = 0; index < count; index++) {
      slots.push({
        agent,
        index,
        name: index === 0 ? agent.agent : `${agent.agent}-${index + 1}`,
        port: agent.port + opts.portOffset + index * REPLICA_PORT_STEP,
      });
    }
  }
  return { slots, notes };
}

/** One process of a single-replica stack: where it lives, its port and its own environment. */
export interface LaunchSpec {
  name: string;
  dir: string;
  main: string;
  port: number;
  env: Record<string, string>;
}

/** `AGENT_URL_<NAME>` for every agent, at its registered port shifted by `portOffset`. */
export function agentUrlEnv(
  agents: readonly AgentPackage[],
  host: string,
  portOffset: number,
): Record<string, string> {
  return Object.fromEntries(
    agents.map((a) => [
      `AGENT_URL_${a.agent.toUpperCase().replace(/-/g, '_')}`,
      `http://${host}:${a.port + portOffset}`,
    ]),
  );
}

/**
 * Every agent and service of a single-replica stack with ports shifted by `portOffset`, each agent
 * with its own data folder under `dataDir`, and every process told where the agents are.
 */
export function planStack(opts: {
  host: string;
  portOffset: number;
  dataDir: string;
  root?: string;
}): LaunchSpec[] {
  const agents = discoverAgents(opts.root);
  const urls = agentUrlEnv(agents, opts.host, opts.portOffset);
  const specs: LaunchSpec[] = agents.map((a) => {
    const port = a.port + opts.portOffset;
    return {
      name: a.agent,
      dir: a.dir,
      main: a.main,
      port,
      env: {
        ...urls,
        AGENT_PORT: String(port),
        AGENT_HOST: opts.host,
        DATA_DIR: join(opts.dataDir, a.agent),
      },
    };
  });
  for (const s of discoverServices(opts.root)) {
    const port = s.port + opts.portOffset;
    specs.push({
      name: s.name,
      dir: s.dir,
      main: s.main,
      port,
      env: { ...urls, MESH_PORT: String(port), MESH_HOST: opts.host },
    });
  }
  return specs;
}

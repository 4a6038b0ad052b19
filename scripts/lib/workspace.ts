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

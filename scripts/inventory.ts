/**
 * Generates agents/PortRegistry.md from the agents' own package.json `sutazai` fields
 * (`npm run inventory`).
 *
 *   --check   write nothing; exit 1 when the committed file differs from the generated one (for CI)
 *
 * An agent is a folder `agents/<dir>/` whose package.json has a `sutazai` field:
 * `{ "agent", "port", "capability", "main", "factory"? }`. Its entry module exports the factory
 * (`factory`, or by convention `build<Agent>`: `buildPlanner` for `planner`), so tools such as the
 * contract suite can build any agent without a list of agents to keep up to date.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root, found from this file rather than the working directory. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the generated registry lives, relative to the repository root. */
export const REGISTRY_FILE = 'agents/PortRegistry.md';

/** Agents listen on this port or above (SPEC §2). */
export const AGENT_PORT_MIN = 11000;

/** Highest TCP port. */
export const PORT_MAX = 65535;

/** The platform's fixed ports (SPEC §2); agents never take these. */
export const PLATFORM_PORTS: readonly { service: string; port: number }[] = [
  { service: 'Postgres', port: 10000 },
  { service: 'Redis', port: 10001 },
  { service: 'Backend Mesh (backend)', port: 10010 },
  { service: 'Operator console (frontend)', port: 10011 },
  { service: 'Qdrant HTTP', port: 10101 },
  { service: 'Qdrant gRPC', port: 10102 },
  { service: 'Ollama', port: 10104 },
  { service: 'Prometheus', port: 10200 },
  { service: 'Grafana', port: 10201 },
];

/** One agent as its package.json declares it. */
export interface AgentManifest {
  /** Folder under `agents/`. */
  dir: string;
  /** npm package name. */
  packageName: string;
  /** Agent name (`AGENT_NAME`). */
  agent: string;
  /** Default port (`AGENT_PORT`). */
  port: number;
  /** The one capability it offers. */
  capability: string;
  /** Process entry point, relative to the agent folder. */
  main: string;
  /** Entry module (what the package exports as `.`), relative to the agent folder. */
  entry: string;
  /** Name of the entry module's export that builds the agent. */
  factory: string;
}

/** A package.json whose `sutazai` field is malformed, or a registry that breaks the port rules. */
export class InventoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryError';
  }
}

/** The conventional factory export of an agent: `build` + the name in PascalCase (`buildPlanner`). */
export function factoryExportName(agent: string): string {
  return `build${agent
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(
  where: string,
  obj: Record<string, unknown>,
  key: string,
  re: RegExp,
  expected: string,
): string {
  const value = obj[key];
  if (typeof value !== 'string' || !re.test(value)) {
    throw new InventoryError(`${where}: sutazai.${key} must be ${expected} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The package's `.` export, which is the agent's entry module; `src/index.ts` when not declared. */
function entryOf(pkg: Record<string, unknown>): string {
  const exports = pkg.exports;
  const dot = typeof exports === 'string' ? exports : isRecord(exports) ? exports['.'] : undefined;
  return typeof dot === 'string' ? path.posix.normalize(dot) : 'src/index.ts';
}

/**
 * Reads one agent's manifest from its parsed package.json; undefined for packages that are not agents
 * (no `sutazai` field, e.g. the kit). Throws {@link InventoryError} naming the file and field when malformed.
 */
export function parseManifest(dir: string, pkg: unknown): AgentManifest | undefined {
  const where = `agents/${dir}/package.json`;
  if (!isRecord(pkg)) throw new InventoryError(`${where}: not a JSON object`);
  const s = pkg.sutazai;
  if (s === undefined) return undefined;
  if (!isRecord(s)) throw new InventoryError(`${where}: sutazai must be an object`);
  const agent = field(
    where,
    s,
    'agent',
    /^[a-z][a-z0-9-]{0,39}$/,
    'an agent name (lowercase letters, digits, dashes)',
  );
  const port = s.port;
  if (typeof port !== 'number' || !Number.isInteger(port)) {
    throw new InventoryError(`${where}: sutazai.port must be an integer (got ${JSON.stringify(port)})`);
  }
  const capability = field(where, s, 'capability', /^[a-z][a-z0-9-]{0,39}$/, 'a capability name');
  const main = field(where, s, 'main', /^[\w./-]+\.ts$/, 'a .ts path relative to the agent folder');
  const factory =
    s.factory === undefined
      ? factoryExportName(agent)
      : field(where, s, 'factory', /^[A-Za-z_$][\w$]*$/, 'the name of an export of the entry module');
  if (typeof pkg.name !== 'string' || pkg.name === '') throw new InventoryError(`${where}: name is missing`);
  return { dir, packageName: pkg.name, agent, port, capability, main, entry: entryOf(pkg), factory };
}

/** Every rule the registry breaks: agent ports outside 11000-65535, ports or names taken twice. */
export function portProblems(agents: readonly AgentManifest[]): string[] {
  const problems: string[] = [];
  const owners = new Map<number, string>(PLATFORM_PORTS.map((p) => [p.port, p.service]));
  const names = new Map<string, string>();
  for (const a of agents) {
    if (a.port < AGENT_PORT_MIN || a.port > PORT_MAX) {
      problems.push(
        `agent ${a.agent} (agents/${a.dir}): port ${a.port} is outside ${AGENT_PORT_MIN}-${PORT_MAX}`,
      );
    }
    const owner = owners.get(a.port);
    if (owner !== undefined)
      problems.push(`agent ${a.agent} (agents/${a.dir}): port ${a.port} is already taken by ${owner}`);
    else owners.set(a.port, `agent ${a.agent}`);
    const dirOfName = names.get(a.agent);
    if (dirOfName !== undefined)
      problems.push(`agent name ${a.agent} is declared by agents/${dirOfName} and agents/${a.dir}`);
    else names.set(a.agent, a.dir);
  }
  return problems;
}

/**
 * Finds every agent under `<root>/agents/` (folders whose package.json has a `sutazai` field), sorted
 * by port. Throws {@link InventoryError} when a manifest is malformed or the ports break the rules.
 */
export function discoverAgents(root: string = REPO_ROOT): AgentManifest[] {
  const agentsDir = path.join(root, 'agents');
  const agents: AgentManifest[] = [];
  for (const entry of readdirSync(agentsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = path.join(agentsDir, entry.name, 'package.json');
    if (!existsSync(file)) continue;
    let pkg: unknown;
    try {
      pkg = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new InventoryError(`agents/${entry.name}/package.json: ${(err as Error).message}`);
    }
    const manifest = parseManifest(entry.name, pkg);
    if (manifest) agents.push(manifest);
  }
  agents.sort((a, b) => a.port - b.port || a.agent.localeCompare(b.agent));
  const problems = portProblems(agents);
  if (problems.length > 0) throw new InventoryError(`port registry is invalid:\n  ${problems.join('\n  ')}`);
  return agents;
}

/** A Markdown table padded the way Prettier prints it, so `prettier --check` accepts the file as is. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The text of agents/PortRegistry.md for these agents (deterministic: no dates, sorted by port). */
export function renderPortRegistry(agents: readonly AgentManifest[]): string {
  const agentRows = [...agents]
    .sort((a, b) => a.port - b.port)
    .map((a) => [
      a.agent,
      String(a.port),
      a.capability,
      `\`${a.packageName}\``,
      `\`agents/${a.dir}/${a.main}\``,
    ]);
  const platformRows = PLATFORM_PORTS.map((p) => [p.service, String(p.port)]);
  return [
    '<!-- Generated by `npm run inventory` from agents/*/package.json. Do not edit; run `npm run inventory`. -->',
    '',
    '# Port registry',
    '',
    'Generated file: do not edit. It is built from the `sutazai` field of each `agents/*/package.json`',
    '(`agent`, `port`, `capability`, `main`); change those and run `npm run inventory`. CI runs',
    '`npm run inventory -- --check`, which fails when this file is stale.',
    '',
    `## Agents (${AGENT_PORT_MIN} and up)`,
    '',
    markdownTable(['agent', 'port', 'capability', 'package', 'main'], agentRows),
    '',
    '## Platform (SPEC §2)',
    '',
    markdownTable(['service', 'port'], platformRows),
    '',
  ].join('\n');
}

/** Reads the committed registry; undefined when there is none. */
export function readCommittedRegistry(root: string = REPO_ROOT): string | undefined {
  const file = path.join(root, REGISTRY_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Where {@link runInventory} reports; the console when run as a script. */
export interface InventoryOutput {
  log(message: string): void;
  error(message: string): void;
}

/**
 * The `npm run inventory` command over the repository at `root`: writes the registry, or with
 * `--check` only compares it. Returns the exit code (1: stale under `--check`, or invalid manifests).
 */
export async function runInventory(
  argv: readonly string[],
  root: string = REPO_ROOT,
  out: InventoryOutput = console,
): Promise<number> {
  const check = argv.includes('--check');
  let rendered: string;
  try {
    rendered = renderPortRegistry(discoverAgents(root));
  } catch (err) {
    if (err instanceof InventoryError) {
      out.error(err.message);
      return 1;
    }
    throw err;
  }
  if (readCommittedRegistry(root) === rendered) {
    out.log(`${REGISTRY_FILE} is up to date`);
    return 0;
  }
  if (check) {
    out.error(`${REGISTRY_FILE} is stale; run \`npm run inventory\` and commit the result`);
    return 1;
  }
  await writeFile(path.join(root, REGISTRY_FILE), rendered);
  out.log(`wrote ${REGISTRY_FILE}`);
  return 0;
}

// Run only as a script, so tests can import the functions above.
const invokedAs = process.argv[1];
if (
  invokedAs !== undefined &&
  existsSync(invokedAs) &&
  pathToFileURL(realpathSync(invokedAs)).href === import.meta.url
) {
  process.exitCode = await runInventory(process.argv.slice(2));
}

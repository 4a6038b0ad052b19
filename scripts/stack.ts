/**
 * Starts the whole stack on this machine: every agent under agents/ and the Backend Mesh, each its
 * own process on its registered port, and stops them together on Ctrl-C.
 *
 * `--replicas N` (`npm run start:distributed`) starts it distributed instead: on the Redis of
 * `REDIS_URL` (and the Postgres of `PG_DSN` when set), with N replicas of each capability agent
 * (further replicas at port + 100, + 200…) that announce themselves in the agent registry, where
 * the orchestrator and the mesh find them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { waitForOk } from './lib/processes.js';
import { ROOT, discoverAgents, discoverServices, planReplicas } from './lib/workspace.js';

interface Proc {
  name: string;
  port: number;
  child: ChildProcess;
  /** The agent a replica process runs; undefined for the mesh. */
  agent?: string;
}

const host = process.env.STACK_HOST ?? '127.0.0.1';
const rawLogs = process.env.STACK_RAW_LOGS === '1';
const portOffset = Number(process.env.STACK_PORT_OFFSET ?? '0');
const dataRoot = process.env.DATA_DIR ?? join(ROOT, '.data');
const ingest = !process.argv.includes('--no-ingest');

/** `--replicas N`: the distributed stack with N replicas per capability agent; undefined without it. */
function replicasFlag(): number | undefined {
  const i = process.argv.indexOf('--replicas');
  if (i < 0) return undefined;
  const raw = process.argv[i + 1] ?? '';
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 9)) {
    console.error(`--replicas must be followed by a number from 1 to 9 (got ${JSON.stringify(raw)})`);
    process.exit(64);
  }
  return n;
}
const replicas = replicasFlag();
const distributed = replicas !== undefined;

/** Where a server URL points, without its credentials. */
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The project's own docs: the sample corpus ingested on first start. */
function corpusFiles(): string[] {
  const files = [join(ROOT, 'README.md')];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md') && e.name !== 'PortRegistry.md') files.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  walk(join(ROOT, 'agents'));
  walk(join(ROOT, 'backend'));
  walk(join(ROOT, 'bench'));
  return files.filter((f, i) => files.indexOf(f) === i && existsSync(f));
}

/** Ingests the corpus through the mesh when it changed since the last start (or never was). */
async function ingestCorpus(meshUrl: string): Promise<void> {
  const docs = corpusFiles().map((f) => ({
    id: relative(ROOT, f),
    source: relative(ROOT, f),
    text: readFileSync(f, 'utf8'),
    content_type: 'text/markdown',
  }));
  const digest = createHash('sha256').update(JSON.stringify(docs)).digest('hex');
  const marker = join(dataRoot, 'corpus.sha256');
  // Distributed, the vectors may live elsewhere (Qdrant) than this machine's marker knows: ask the
  // retriever each time — the idempotency key makes a repeat a replay.
  if (!distributed && existsSync(marker) && readFileSync(marker, 'utf8').trim() === digest) {
    console.log(`sample corpus already ingested (${docs.length} documents)`);
    return;
  }
  const res = await fetch(`${meshUrl}/v1/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': JSON.stringify(`corpus-${digest}`) },
    body: JSON.stringify({ documents: docs }),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await res.json()) as { status?: string; result?: { chunks_total?: number } };
  if (!res.ok || body.status !== 'succeeded') {
    console.error(
      `ingesting the sample corpus failed: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`,
    );
    return;
  }
  mkdirSync(dataRoot, { recursive: true });
  writeFileSync(marker, `${digest}\n`);
  console.log(
    `ingested the sample corpus: ${docs.length} documents, ${body.result?.chunks_total ?? '?'} chunks`,
  );
}

function writeBuildInfo(): void {
  let sha = process.env.GIT_SHA;
  try {
    sha ??= execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    sha ??= 'unknown';
  }
  writeFileSync(
    join(ROOT, 'build-info.json'),
    `${JSON.stringify({ git_sha: sha, build_time: new Date().toISOString() })}\n`,
  );
}

function pretty(name: string, line: string): string {
  if (rawLogs) return line;
  try {
    const j = JSON.parse(line) as { level?: number; msg?: string; trace_id?: string | null };
    const lvl =
      { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }[j.level ?? 30] ?? 'info';
    return `${name.padEnd(12)} ${lvl.padEnd(5)} ${j.msg ?? ''}${j.trace_id ? `  trace=${j.trace_id.slice(0, 8)}` : ''}`;
  } catch {
    return `${name.padEnd(12)} ${line}`;
  }
}

function launch(name: string, cwd: string, main: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (l) => console.log(pretty(name, l)));
  }
  return child;
}

async function waitHealthy(p: Proc, timeoutMs: number): Promise<void> {
  if (await waitForOk(`http://${host}:${p.port}/health`, p.child, timeoutMs)) return;
  throw new Error(
    p.child.exitCode !== null
      ? `${p.name} exited with code ${p.child.exitCode}`
      : `${p.name} did not become healthy on port ${p.port} within ${timeoutMs} ms`,
  );
}

/** Waits until the mesh lists every started replica in the registry (each announces after it listens). */
async function waitRegistered(meshUrl: string, procs: readonly Proc[], timeoutMs: number): Promise<void> {
  const expected = procs
    .filter((p) => p.agent !== undefined)
    .map((p) => `${p.agent} http://${host}:${p.port}`);
  const until = Date.now() + timeoutMs;
  let missing = expected;
  while (Date.now() < until) {
    try {
      const res = await fetch(`${meshUrl}/v1/agents`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { agents?: { name: string; replicas?: { url: string }[] }[] };
      const seen = new Set(
        (body.agents ?? []).flatMap((a) => (a.replicas ?? []).map((r) => `${a.name} ${r.url}`)),
      );
      missing = expected.filter((e) => !seen.has(e));
      if (missing.length === 0) {
        console.log(`all ${expected.length} agent replicas are in the registry`);
        return;
      }
    } catch {
      // the mesh is still starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`replicas missing from the registry after ${timeoutMs} ms: ${missing.join(', ')}`);
}

async function main(): Promise<void> {
  writeBuildInfo();
  const procs: Proc[] = [];
  let stopping = false;
  const stopAll = (code: number): void => {
    if (stopping) return;
    stopping = true;
    for (const p of procs) p.child.kill('SIGTERM');
    const t = setTimeout(() => {
      for (const p of procs) p.child.kill('SIGKILL');
      process.exit(code);
    }, 15_000);
    t.unref();
    const exited = procs
      .filter((p) => p.child.exitCode === null)
      .map((p) => new Promise((r) => p.child.once('exit', r)));
    void Promise.all(exited).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  if (distributed && !process.env.REDIS_URL) {
    console.error(
      'the distributed stack needs REDIS_URL (and uses PG_DSN when set), e.g.\n' +
        '  REDIS_URL=redis://127.0.0.1:6379 PG_DSN=postgres://postgres@127.0.0.1:5432/postgres npm run start:distributed',
    );
    process.exit(64);
  }
  const agents = discoverAgents();
  const plan = planReplicas(agents, {
    replicas: replicas ?? 1,
    portOffset,
    sharedVectors: process.env.VECTOR_PROVIDER === 'qdrant',
  });
  if (distributed) {
    const pg = process.env.PG_DSN
      ? `job records in Postgres ${serverOf(process.env.PG_DSN)}`
      : 'job records in Redis';
    console.log(`distributed stack: Redis ${serverOf(process.env.REDIS_URL ?? '')}, ${pg}`);
    for (const note of plan.notes) console.log(`  ${note}`);
  }
  const agentUrls: Record<string, string> = Object.fromEntries(
    agents.map((a) => [a.agent, `http://${host}:${a.port + portOffset}`]),
  );
  // Embedded, agents find each other at their registered ports; distributed, in the registry.
  const agentUrlEnv = (): Record<string, string> =>
    distributed
      ? {}
      : Object.fromEntries(
          Object.entries(agentUrls).map(([name, url]) => [
            `AGENT_URL_${name.toUpperCase().replace(/-/g, '_')}`,
            url,
          ]),
        );
  for (const slot of plan.slots) {
    const child = launch(slot.name, join(ROOT, slot.agent.dir), slot.agent.main, {
      AGENT_PORT: String(slot.port),
      AGENT_HOST: host,
      DATA_DIR: join(dataRoot, slot.name),
      ...agentUrlEnv(),
    });
    procs.push({ name: slot.name, port: slot.port, child, agent: slot.agent.agent });
  }
  for (const s of discoverServices()) {
    const port = s.port + portOffset;
    const child = launch(s.name, join(ROOT, s.dir), s.main, {
      ...agentUrlEnv(),
      MESH_PORT: String(port),
      MESH_HOST: host,
    });
    procs.push({ name: s.name, port, child });
  }
  for (const p of procs) {
    p.child.once('exit', (code, signal) => {
      if (stopping) return;
      // Distributed, an agent with a replica left keeps serving: the registry drops the dead one.
      const others = procs.filter((o) => o !== p && o.agent !== undefined && o.agent === p.agent);
      if (distributed && others.some((o) => o.child.exitCode === null && o.child.signalCode === null)) {
        console.error(
          `${p.name} exited (code ${code}, signal ${signal}); ${p.agent ?? p.name} keeps serving on ` +
            `${others.map((o) => o.name).join(', ')} and the registry drops ${p.name} within its TTL`,
        );
        return;
      }
      console.error(`${p.name} exited unexpectedly (code ${code}, signal ${signal}); stopping the stack`);
      stopAll(1);
    });
  }
  try {
    await Promise.all(procs.map((p) => waitHealthy(p, 60_000)));
  } catch (err) {
    console.error(String(err));
    stopAll(1);
    return;
  }
  const mesh = procs.find((p) => p.name === 'mesh');
  if (mesh && distributed) {
    try {
      await waitRegistered(`http://${host}:${mesh.port}`, procs, 30_000);
    } catch (err) {
      console.error(String(err));
      stopAll(1);
      return;
    }
  }
  if (mesh && ingest && agentUrls.retriever) await ingestCorpus(`http://${host}:${mesh.port}`);
  console.log('\nSutazAI Agents is up:');
  for (const p of procs)
    console.log(
      `  ${p.name.padEnd(14)} http://${host}:${p.port}   (/health /ready /metrics /version ${p.name === 'mesh' ? '/v1/agents' : '/v1/agent'} /openapi.json)`,
    );
  if (mesh) {
    const url = `http://${host}:${mesh.port}`;
    console.log(`\nAsk a question about the project's docs:\n  npm run ask -- "How do I start the stack?"`);
    console.log(
      `  curl -s -X POST ${url}/v1/jobs -H 'content-type: application/json' -H 'prefer: wait=30' \\`,
    );
    console.log(`       -d '{"input":{"question":"How do I start the stack?"}}'`);
    console.log(
      `Agents${distributed ? ', their live replicas' : ''} and their readiness:  curl -s ${url}/v1/agents`,
    );
  } else if (procs[0]) {
    console.log(`\nDescribe an agent:  curl -s http://${host}:${procs[0].port}/v1/agent`);
  }
  console.log('Ctrl-C stops everything.\n');
}

await main();

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcesses, waitForOk } from '../../../scripts/lib/processes.js';
import { ROOT, planStack } from '../../../scripts/lib/workspace.js';

/** One process of the stack under test. */
export interface StackProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
}

/** The real stack, each agent and the mesh its own process, on ports away from the dev defaults. */
export interface TestStack {
  mesh: StackProcess;
  procs: Map<string, StackProcess>;
  dataDir: string;
  /** SIGKILLs one process (a crash). */
  kill(name: string): void;
  stop(): Promise<void>;
}

async function healthy(url: string, child: ChildProcess, timeoutMs: number, output: string[]): Promise<void> {
  if (await waitForOk(`${url}/health`, child, timeoutMs)) return;
  const why =
    child.exitCode !== null ? `process exited (${child.exitCode})` : `${url} not healthy in ${timeoutMs} ms`;
  throw new Error(`${why}:\n${output.slice(-20).join('\n')}`);
}

/**
 * Starts every agent and the mesh as real processes (`node --import tsx <main>`), with ports
 * shifted by `portOffset` and a throw-away data directory. `env` is added to every process.
 */
export async function startStack(opts: {
  portOffset: number;
  env?: Record<string, string>;
}): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sutazai-e2e-'));
  const host = '127.0.0.1';
  const procs = new Map<string, StackProcess>();
  for (const spec of planStack({ host, portOffset: opts.portOffset, dataDir })) {
    const output: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', spec.main], {
      cwd: join(ROOT, spec.dir),
      env: { ...process.env, LOG_LEVEL: 'info', ...spec.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer): void => {
      output.push(...b.toString('utf8').split('\n').filter(Boolean));
      if (output.length > 2000) output.splice(0, output.length - 2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    procs.set(spec.name, {
      name: spec.name,
      port: spec.port,
      url: `http://${host}:${spec.port}`,
      child,
      output,
    });
  }
  const stack: TestStack = {
    mesh: undefined as unknown as StackProcess,
    procs,
    dataDir,
    kill(name) {
      procs.get(name)?.child.kill('SIGKILL');
    },
    async stop() {
      await stopProcesses([...procs.values()].map((p) => p.child));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all([...procs.values()].map((p) => healthy(p.url, p.child, 60_000, p.output)));
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const mesh = procs.get('mesh');
  if (!mesh) {
    await stack.stop();
    throw new Error('no mesh service found (backend/package.json sutazai.service)');
  }
  stack.mesh = mesh;
  return stack;
}

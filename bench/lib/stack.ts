/**
 * Starts the stack under test the way the e2e suite does (tests/e2e/helpers/processes.ts): every
 * agent and the mesh discovered from their package.json, each its own `node --import tsx` process on
 * its registered port plus an offset, with a throw-away data directory. Unlike the e2e helper it
 * tolerates parts that are missing or fail to start (the bench reports them instead of measuring
 * them), sends each process's output to a log file rather than through the bench's own event loop,
 * and can run every process under `--cpu-prof`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcesses, waitForOk } from '../../scripts/lib/processes.js';
import { ROOT, planStack } from '../../scripts/lib/workspace.js';

/** One running process of the stack. */
export interface StackProc {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  logFile: string;
}

/** A part of the stack that could not be measured, and why. */
export interface StackProblem {
  name: string;
  reason: string;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  label: string;
  portOffset: number;
  /** Added to every process's environment (model server, Redis/Postgres, log level …). */
  env: Record<string, string>;
  /** Write a V8 CPU profile of every process into this folder when it exits. */
  cpuProfDir?: string;
  /** Longest wait for `/health`, then for `/ready`. */
  startTimeoutMs?: number;
}

/** The running stack. */
export interface BenchStack {
  label: string;
  dataDir: string;
  procs: Map<string, StackProc>;
  /** Parts that exited or never became healthy or ready. */
  problems: StackProblem[];
  /** Set when no agent came up: the stack cannot be measured, and this says why. */
  unusable?: string;
  /** Base URL of a running part, if it runs. */
  url(name: string): string | undefined;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Why a process stopped, from its log: the config error it printed, else its last lines. */
function exitReason(file: string): string {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return '';
  }
  const config = lines.find((l) => l.startsWith('config error:'));
  if (config) return config;
  const error = lines.find((l) => /^\w*Error\b|^error:/i.test(l.trim()));
  return (error ?? lines.slice(-3).join(' ')).slice(0, 300);
}

/** Waits until `path` answers 2xx; false when the process exits or the time runs out. */
function waitFor(p: StackProc, path: string, timeoutMs: number): Promise<boolean> {
  return waitForOk(`${p.url}${path}`, p.child, timeoutMs);
}

/** Starts every discovered agent and service; resolves once each is ready or given up on. */
export async function startStack(opts: StackOptions): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `sutazai-bench-${opts.label}-`));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // One folder per process, so each profile is named by the part it measured.
  const nodeArgs = (name: string): string[] =>
    opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.cpuProfDir, name)}`] : [];
  const procs = new Map<string, StackProc>();
  for (const spec of planStack({ host: HOST, portOffset: opts.portOffset, dataDir })) {
    const logFile = join(logDir, `${spec.name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [...nodeArgs(spec.name), '--import', 'tsx', spec.main], {
      cwd: join(ROOT, spec.dir),
      env: { ...process.env, ...opts.env, ...spec.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    procs.set(spec.name, {
      name: spec.name,
      port: spec.port,
      url: `http://${HOST}:${spec.port}`,
      child,
      logFile,
    });
  }

  const problems: StackProblem[] = [];
  const timeout = opts.startTimeoutMs ?? 60_000;
  const healthy = await Promise.all([...procs.values()].map((p) => waitFor(p, '/health', timeout)));
  [...procs.values()].forEach((p, i) => {
    if (healthy[i]) return;
    const code = p.child.exitCode;
    problems.push({
      name: p.name,
      reason: `${code === null ? 'not healthy in time' : `exited with code ${code}`}: ${exitReason(p.logFile)}`,
    });
    p.child.kill('SIGKILL');
    procs.delete(p.name);
  });
  let unusable: string | undefined;
  if (![...procs.keys()].some((name) => name !== 'mesh')) {
    unusable =
      problems.find((p) => p.reason.includes('config error'))?.reason ?? problems[0]?.reason ?? 'no agent';
  } else {
    // Ready means warm (model loaded, called agents reachable): measure nothing before that.
    const ready = await Promise.all([...procs.values()].map((p) => waitFor(p, '/ready', timeout / 2)));
    [...procs.values()].forEach((p, i) => {
      if (!ready[i]) problems.push({ name: p.name, reason: 'healthy but never ready (measured anyway)' });
    });
  }

  return {
    label: opts.label,
    dataDir,
    procs,
    problems,
    ...(unusable === undefined ? {} : { unusable }),
    url: (name) => procs.get(name)?.url,
    async stop() {
      await stopProcesses([...procs.values()].map((p) => p.child));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

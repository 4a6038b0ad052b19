/** Starting a replica entry script (a helper that prints `ready <base url>`) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A replica process and the base URL it serves on. */
export interface ChildReplica {
  child: ChildProcess;
  url: string;
}

/**
 * Spawns `entry` under tsx with `env` added to this process's environment; resolves once it printed
 * its `ready` line, rejects with its stderr when it exits first or is not ready within `timeoutMs`.
 */
export async function spawnReplica(
  entry: URL,
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<ChildReplica> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(entry)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`replica not ready in ${timeoutMs} ms: ${errors.join('')}`)),
        timeoutMs,
      );
      let pending = '';
      // The listener stays, so the child's log output keeps draining.
      child.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^ready(?: (\S+))?$/.exec(line.trim());
          if (m === null) continue;
          clearTimeout(timer);
          resolve(m[1] ?? '');
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`replica exited (${code}): ${errors.join('')}`));
      });
    });
    return { child, url };
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }
}

/** SIGKILLs the child and resolves once it is gone. */
export async function killReplica(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

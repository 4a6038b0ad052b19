import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a child process has ended. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits until `url` answers 2xx; false when the process exits or `timeoutMs` runs out. */
export async function waitForOk(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (hasExited(child)) return false;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
}

/** SIGTERMs every child still running, SIGKILLs those not gone `killAfterMs` later, and waits for all. */
export async function stopProcesses(children: Iterable<ChildProcess>, killAfterMs = 8000): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (hasExited(child)) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(t);
    }),
  );
}

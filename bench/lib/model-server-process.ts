/** Runs bench/model-server.ts as a child process and changes its latencies between phases. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { ROOT } from '../../scripts/lib/workspace.js';
import type { ModelProfile } from './model-profile.js';

/** A running model server. */
export interface ModelServer {
  url: string;
  /** Applies new latencies and checks, by timing one request, that the server honours them. */
  setProfile(profile: ModelProfile): Promise<void>;
  stop(): Promise<void>;
}

function nextLine(lines: Interface, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('model server did not answer')), timeoutMs);
    lines.once('line', (l: string) => {
      clearTimeout(t);
      resolve(l);
    });
  });
}

/** Starts the model server with `profile` on an OS-assigned loopback port. */
export async function startModelServer(profile: ModelProfile, model = 'tinyllama'): Promise<ModelServer> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'bench/model-server.ts'),
      `--ttft-ms=${profile.ttftMs}`,
      `--token-ms=${profile.tokenDelayMs}`,
      `--model=${model}`,
      '--exit-with-stdin',
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  if (!child.stdout || !child.stdin) throw new Error('model server has no stdio');
  const lines = createInterface({ input: child.stdout });
  const first = JSON.parse(await nextLine(lines, 30_000)) as { url: string };
  const stdin = child.stdin;
  const server: ModelServer = {
    url: first.url,
    async setProfile(p) {
      stdin.write(`${JSON.stringify(p)}\n`);
      await nextLine(lines, 5000);
      // A streamed answer of ~60 tokens (the fake waits between tokens only when streaming); the
      // fastest of three, so a cold first request or a busy machine does not fail the check.
      const prompt = `[calibration#1] ${Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ')}`;
      let fastest = Infinity;
      let expected = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await fetch(`${first.url}/api/generate`, {
          method: 'POST',
          body: JSON.stringify({ model, prompt, stream: true }),
        });
        const ndjson = (await res.text()).trim().split('\n');
        fastest = Math.min(fastest, performance.now() - t0);
        const tokens =
          (JSON.parse(ndjson[ndjson.length - 1] ?? '{}') as { eval_count?: number }).eval_count ?? 0;
        expected = p.ttftMs + Math.max(0, tokens - 1) * p.tokenDelayMs;
        if (expected > 0) break;
      }
      // Too fast: the latencies were ignored; too slow at zero: waits are not skipped (1 ms timers).
      if (fastest < expected * 0.9 || (expected === 0 && fastest > 20)) {
        throw new Error(
          `model server does not honour its latencies: ${fastest.toFixed(1)} ms, ${expected} ms expected`,
        );
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
  await server.setProfile(profile);
  return server;
}

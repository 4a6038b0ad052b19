import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from './testing/fixtures/mesh-harness.js';

const BACKEND = join(dirname(fileURLToPath(import.meta.url)), '..');

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: BACKEND,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const rec = JSON.parse(line) as { msg?: string; url?: string };
      if (rec.msg === 'mesh listening' && rec.url) resolve(rec.url);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, exited, listening, stderr: () => stderr };
}

describe('the mesh process', () => {
  let agent: RunningAgent;
  beforeAll(async () => {
    agent = await startAgent('orchestrator');
  });
  afterAll(async () => agent.close());

  it('stops with exit code 78 and one line naming a bad variable', async () => {
    const proc = startMain({ MESH_PORT: 'eighty' });
    expect(await proc.exited).toBe(78);
    expect(proc.stderr().trim().split('\n')).toEqual([
      'config error: MESH_PORT must be an integer from 0 to 65535 (got "eighty")',
    ]);
  });

  it('listens, routes to AGENT_URL_ORCHESTRATOR, and exits 0 on SIGTERM', async () => {
    const proc = startMain({ MESH_PORT: '0', AGENT_URL_ORCHESTRATOR: agent.url, LOG_LEVEL: 'info' });
    const url = await proc.listening;
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    const job = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=5' },
      body: JSON.stringify({ input: { message: 'through main' } }),
    });
    expect(await job.json()).toMatchObject({ status: 'succeeded', result: { message: 'through main' } });
    expect(await (await fetch(`${url}/version`)).json()).toMatchObject({ name: 'mesh', version: '0.1.0' });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../adapters/memory/memory-backend.js';
import { isAgentError } from '../contract/errors.js';
import type { JobBackend } from '../ports/job-backend.js';
import { startTestService, type TestService } from '../testing/harness.js';
import { createTestAgent } from '../testing/test-agent.js';
import { AgentClient } from './agent-client.js';

interface Replica {
  service: TestService;
  url: string;
  /** `METHOD path` of every request the replica received. */
  requests: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A test agent listening on 127.0.0.1, optionally sharing a backend with others (a replica set). */
async function replica(backend?: JobBackend): Promise<Replica> {
  const { definition } = createTestAgent();
  const service = await startTestService(definition, backend ? { backend } : {});
  const requests: string[] = [];
  service.app.addHook('onRequest', async (req) => {
    requests.push(`${req.method} ${req.url.split('?')[0] ?? ''}`);
  });
  const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
  // A shared backend is closed once, by the last replica to go.
  cleanups.unshift(() => service.close(0));
  return { service, url, requests };
}

/** A job request for the test agent's `echo` kind. */
function echo(message: string, deadlineMs = 10_000) {
  return {
    kind: 'echo',
    input: { message },
    idempotencyKey: `key-${message}`,
    tenantId: 'default',
    deadlineAt: Date.now() + deadlineMs,
  };
}

describe('AgentClient with a fixed base URL', () => {
  it('submits, follows the stream and returns the terminal record; exposes the URL', async () => {
    const a = await replica();
    const client = new AgentClient({ baseUrl: `${a.url}/`, name: 'testagent' });
    expect(client.baseUrl).toBe(a.url);
    expect(await client.url()).toBe(a.url);
    const seen: string[] = [];
    const rec = await client.run(echo('hi'), { onEvent: (ev) => void seen.push(ev.type) });
    expect(rec.status).toBe('succeeded');
    expect(rec.result).toEqual({ message: 'hi' });
    expect(seen.at(-1)).toBe('job.succeeded');
  });
});

describe('AgentClient with a base URL resolver', () => {
  it('asks the resolver before every request, spreading calls round robin over replicas', async () => {
    const backend = createMemoryBackend({ agent: 'testagent' });
    const a = await replica(backend);
    const b = await replica(backend);
    const urls = [a.url, b.url];
    let turn = 0;
    const client = new AgentClient({
      baseUrl: () => urls[turn++ % urls.length] as string,
      name: 'testagent',
    });
    expect(client.baseUrl).toBeUndefined();

    for (let i = 0; i < 4; i++) {
      const accepted = await client.submit(echo(`m${i}`));
      expect(accepted.status).toMatch(/queued|running|succeeded/);
    }
    const posts = (r: Replica): number => r.requests.filter((q) => q === 'POST /v1/jobs').length;
    expect(posts(a)).toBe(2);
    expect(posts(b)).toBe(2);
  });

  it('follows a job submitted through one replica via the other (the backend is shared)', async () => {
    const backend = createMemoryBackend({ agent: 'testagent' });
    const a = await replica(backend);
    const b = await replica(backend);
    const urls = [a.url, b.url];
    let turn = 0;
    const client = new AgentClient({
      baseUrl: async () => urls[turn++ % urls.length] as string,
      name: 'testagent',
    });
    const rec = await client.run(echo('across'));
    expect(rec.status).toBe('succeeded');
    expect(a.requests.some((q) => q === 'POST /v1/jobs')).toBe(true);
    expect(b.requests.some((q) => q.startsWith('GET /v1/jobs/'))).toBe(true);
  });

  it('moves on to the next replica when one refuses the connection', async () => {
    const backend = createMemoryBackend({ agent: 'testagent' });
    const a = await replica(backend);
    const b = await replica(backend);
    await a.service.app.close();
    const urls = [a.url, b.url];
    const asked: string[] = [];
    let turn = 0;
    const client = new AgentClient({
      baseUrl: () => {
        const url = urls[turn++ % urls.length] as string;
        asked.push(url);
        return url;
      },
      name: 'testagent',
    });
    const rec = await client.run(echo('failover'));
    expect(rec.status).toBe('succeeded');
    expect(asked[0]).toBe(a.url);
    expect(asked[1]).toBe(b.url);
    expect(b.requests.filter((q) => q === 'POST /v1/jobs')).toHaveLength(1);
  });

  it('retries a resolver that has no replica yet, and gives up at the deadline', async () => {
    let calls = 0;
    const client = new AgentClient({
      baseUrl: () => {
        calls++;
        throw new Error('no live replica');
      },
      name: 'testagent',
    });
    const err = await client.submit(echo('nowhere', 400)).catch((e: unknown) => e);
    expect(isAgentError(err) && err.code).toBe('deadline_exceeded');
    expect(calls).toBeGreaterThan(1);
    const check = await client.readiness().check(AbortSignal.timeout(1000));
    expect(check).toEqual({ ok: false, detail: 'unreachable: no live replica' });
  });
});

describe('AgentClient error mapping', () => {
  it('reads a child refusing an already-passed deadline as this call running out of time', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'x',
          title: 'Deadline is already in the past',
          status: 422,
          code: 'deadline_invalid',
          trace_id: 't',
          retryable: false,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const client = new AgentClient({ baseUrl: `http://127.0.0.1:${port}`, name: 'late' });
    const err = await client.submit(echo('late')).catch((e: unknown) => e);
    expect(isAgentError(err) && err.code).toBe('deadline_exceeded');
    expect(isAgentError(err) && err.retryable).toBe(false);
  });
});

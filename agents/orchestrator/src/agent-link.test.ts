import { createServer, type Server } from 'node:net';
import { AgentError } from '@sutazai/agent-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentLink } from './agent-link.js';

/** A 127.0.0.1 port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const links: AgentLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.close();
});

function link(baseUrl: string, unreachableMs: number): AgentLink {
  const l = new AgentLink({ name: 'generator', baseUrl, unreachableMs });
  links.push(l);
  return l;
}

const request = (signal: AbortSignal, deadlineAt: number) => ({
  kind: 'generate.answer',
  input: {},
  idempotencyKey: 'p:generate#0',
  tenantId: 'default',
  deadlineAt,
  signal,
});

describe('AgentLink', () => {
  it('fails a guarded call with dependency_unavailable once the agent has refused connections for unreachableMs', async () => {
    const l = link(`http://127.0.0.1:${await closedPort()}`, 200);
    const guard = l.guard(new AbortController().signal);
    const t0 = Date.now();
    const err = await l.client.run(request(guard.signal, Date.now() + 10_000)).catch((e: unknown) => e);
    guard.release();
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({
      code: 'dependency_unavailable',
      retryable: true,
      details: { agent: 'generator' },
    });
    expect((err as AgentError).message).toMatch(/^generator unreachable for \d+ ms \(.*ECONNREFUSED.*\)$/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(Date.now() - t0).toBeLessThan(3000);

    // Still down: the next call fails at its first refused connection.
    const again = l.guard(new AbortController().signal);
    const t1 = Date.now();
    await expect(l.client.run(request(again.signal, Date.now() + 10_000))).rejects.toMatchObject({
      code: 'dependency_unavailable',
    });
    expect(Date.now() - t1).toBeLessThan(150);
  });

  it('passes the parent’s abort through unchanged', async () => {
    const l = link(`http://127.0.0.1:${await closedPort()}`, 60_000);
    const parent = new AbortController();
    const guard = l.guard(parent.signal);
    const reason = new AgentError('cancelled');
    setTimeout(() => parent.abort(reason), 50);
    await expect(l.client.run(request(guard.signal, Date.now() + 10_000))).rejects.toBe(reason);
  });

  it('without a guard, the client retries the unreachable agent until the deadline', async () => {
    const l = link(`http://127.0.0.1:${await closedPort()}`, 100);
    await expect(l.client.run(request(new AbortController().signal, Date.now() + 600))).rejects.toMatchObject(
      { code: 'deadline_exceeded' },
    );
  });
});

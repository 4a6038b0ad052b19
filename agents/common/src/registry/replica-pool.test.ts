import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAgentError } from '../contract/errors.js';
import type { ReplicaAnnouncement } from './agent-registry.js';
import { ReplicaPool, isConnectionRefused } from './replica-pool.js';
import { createStaticAgentRegistry } from './static-agent-registry.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An HTTP server on 127.0.0.1 that answers 200 `ok`; `closed` leaves a port nothing listens on. */
async function server(closed = false): Promise<string> {
  const s = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  if (closed) await new Promise((r) => s.close(r));
  else servers.push(s);
  return url;
}

function replica(id: string, url: string, agent = 'retriever'): ReplicaAnnouncement {
  return {
    agent,
    replica_id: id,
    url,
    version: '1.0.0',
    started_at: new Date(0).toISOString(),
    capability: 'retrieve',
  };
}

describe('ReplicaPool', () => {
  it('hands out the live replicas of an agent round robin', async () => {
    const registry = createStaticAgentRegistry({});
    await registry.announce(replica('r1', 'http://127.0.0.1:1'));
    await registry.announce(replica('r2', 'http://127.0.0.1:2'));
    await registry.announce(replica('p1', 'http://127.0.0.1:3', 'planner'));
    const pool = new ReplicaPool({ registry });
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push(await pool.next('retriever'));
    expect(picks).toEqual([
      'http://127.0.0.1:1',
      'http://127.0.0.1:2',
      'http://127.0.0.1:1',
      'http://127.0.0.1:2',
    ]);
    expect(await pool.next('planner')).toBe('http://127.0.0.1:3');
  });

  it('is dependency_unavailable (retryable) when an agent has no live replica', async () => {
    const pool = new ReplicaPool({ registry: createStaticAgentRegistry({ planner: 'http://127.0.0.1:1' }) });
    const err = await pool.next('retriever').catch((e: unknown) => e);
    expect(isAgentError(err) && [err.code, err.retryable]).toEqual(['dependency_unavailable', true]);
    expect(String(err)).toContain('no live replica of retriever');
  });

  it('reads the registry again only after refreshMs', async () => {
    let now = 1_000;
    const registry = createStaticAgentRegistry({});
    const pool = new ReplicaPool({ registry, refreshMs: 500, now: () => now });
    await registry.announce(replica('r1', 'http://127.0.0.1:1'));
    expect((await pool.replicas('retriever')).map((r) => r.replica_id)).toEqual(['r1']);
    const second = await registry.announce(replica('r2', 'http://127.0.0.1:2'));
    now += 499;
    expect(await pool.replicas('retriever')).toHaveLength(1);
    now += 1;
    expect(await pool.replicas('retriever')).toHaveLength(2);
    await second.withdraw();
    now += 500;
    expect((await pool.replicas('retriever')).map((r) => r.replica_id)).toEqual(['r1']);
  });

  it('passes over a replica that refused a connection, until refusedForMs has passed', async () => {
    let now = 1_000;
    const up = await server();
    const down = await server(true);
    const registry = createStaticAgentRegistry({});
    await registry.announce(replica('a', down));
    await registry.announce(replica('b', up));
    const pool = new ReplicaPool({ registry, refusedForMs: 1_000, now: () => now });
    const fetchVia = pool.observe(fetch);

    const first = await pool.next('retriever');
    expect(first).toBe(down);
    const err = await fetchVia(`${first}/health`).catch((e: unknown) => e);
    expect(isConnectionRefused(err)).toBe(true);
    for (let i = 0; i < 3; i++) expect(await pool.next('retriever')).toBe(up);
    expect(await (await fetchVia(`${up}/x`)).text()).toBe('ok');

    now += 1_000;
    const picks = new Set([await pool.next('retriever'), await pool.next('retriever')]);
    expect(picks).toEqual(new Set([up, down]));
  });

  it('still hands out a replica when every one refused lately (it may be back)', async () => {
    const down = await server(true);
    const registry = createStaticAgentRegistry({ retriever: down });
    const pool = new ReplicaPool({ registry });
    pool.refused(down);
    expect(await pool.next('retriever')).toBe(down);
  });
});

describe('isConnectionRefused', () => {
  it('finds the socket code in cause chains and in AggregateErrors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isConnectionRefused(new TypeError('fetch failed', { cause: refused }))).toBe(true);
    expect(
      isConnectionRefused(new TypeError('fetch failed', { cause: new AggregateError([refused, refused]) })),
    ).toBe(true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isConnectionRefused(new TypeError('fetch failed', { cause: reset }))).toBe(false);
    expect(isConnectionRefused(new AggregateError([refused, reset]))).toBe(false);
    expect(isConnectionRefused(new DOMException('aborted', 'AbortError'))).toBe(false);
  });
});

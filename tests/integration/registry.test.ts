/**
 * The agent registry on a real Redis (SPEC §5): replicas heartbeat an entry with a TTL, a replica
 * that stops beating disappears within the TTL, and the mesh routes to the live replicas and shows
 * them — and keeps jobs succeeding when one dies without a word.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobBackendFromConfig } from '../../agents/common/src/adapters/backend-from-config.js';
import { loadConfig } from '../../agents/common/src/config.js';
import { JobRecord } from '../../agents/common/src/contract/schemas.js';
import { createLogger } from '../../agents/common/src/observability/logger.js';
import { AgentMetrics } from '../../agents/common/src/observability/metrics.js';
import type { AgentRegistry, ReplicaAnnouncement } from '../../agents/common/src/registry/agent-registry.js';
import { createRedisAgentRegistry } from '../../agents/common/src/registry/redis-agent-registry.js';
import { startTestService, type TestService } from '../../agents/common/src/testing/harness.js';
import { createTestAgent } from '../../agents/common/src/testing/test-agent.js';
import type { AgentsReport } from '../../backend/src/agent-registry.js';
import { buildMesh, type Mesh } from '../../backend/src/mesh-app.js';
import { meshTestConfig } from '../../backend/src/testing/fixtures/mesh-harness.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';

/** Short enough to watch a replica expire, long enough for three beats to land. */
const TTL_MS = 1_500;
/** What may pass between the entry expiring and a poll seeing it: the poll interval and one request. */
const SLACK_MS = 400;
const POLL = { timeout: TTL_MS * 4, interval: 50 } as const;

const silent = createLogger({
  agent: 'registry-test',
  level: 'silent',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

function announcement(agent: string, id: string, url: string): ReplicaAnnouncement {
  return {
    agent,
    replica_id: id,
    url,
    version: '1.2.3',
    started_at: '2030-01-02T03:04:05.000Z',
    capability: 'test',
  };
}

describeWithServer('agent registry on Redis', 'Redis', await probeRedis(), () => {
  const prefixes: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let prefix = '';
  let admin: Redis;

  const registry = async (ttlMs = TTL_MS): Promise<AgentRegistry> => {
    const r = await createRedisAgentRegistry({ url: REDIS_URL, prefix, ttlMs, logger: silent });
    closers.push(() => r.close());
    return r;
  };

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  beforeEach(() => {
    prefix = uniquePrefix('registry');
    prefixes.push(prefix);
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    admin.disconnect();
    for (const p of prefixes) await deleteKeys(REDIS_URL, p);
  });

  it('lists announced replicas per agent and in all; a withdrawn one is gone at once', async () => {
    const a = await registry();
    const b = await registry();
    const reader = await registry();
    const ra = await a.announce(announcement('planner', 'host-1-aaa', 'http://10.0.0.1:11002'));
    await b.announce(announcement('planner', 'host-2-bbb', 'http://10.0.0.2:11002'));
    await b.announce(announcement('retriever', 'host-2-ccc', 'http://10.0.0.2:11001'));

    expect(await reader.live('planner')).toEqual([
      { ...announcement('planner', 'host-1-aaa', 'http://10.0.0.1:11002'), source: 'announced' },
      { ...announcement('planner', 'host-2-bbb', 'http://10.0.0.2:11002'), source: 'announced' },
    ]);
    expect((await reader.live()).map((r) => `${r.agent}/${r.replica_id}`)).toEqual([
      'planner/host-1-aaa',
      'planner/host-2-bbb',
      'retriever/host-2-ccc',
    ]);
    const pttl = await admin.pttl(`${prefix}:registry:planner:host-1-aaa`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL_MS);

    await ra.withdraw();
    expect((await reader.live('planner')).map((r) => r.replica_id)).toEqual(['host-2-bbb']);
    expect(await admin.exists(`${prefix}:registry:planner:host-1-aaa`)).toBe(0);
  });

  it('keeps a beating replica past its TTL, and drops one that stopped beating within the TTL', async () => {
    const dying = await registry();
    const beating = await registry();
    const reader = await registry();
    await dying.announce(announcement('verifier', 'dying-1', 'http://10.0.0.1:11004'));
    await beating.announce(announcement('verifier', 'beating-1', 'http://10.0.0.2:11004'));

    // A crash: heartbeats stop, nothing is withdrawn.
    await dying.close();
    const crashedAt = Date.now();
    expect((await reader.live('verifier')).map((r) => r.replica_id)).toEqual(['beating-1', 'dying-1']);
    await vi.waitFor(async () => {
      expect((await reader.live('verifier')).map((r) => r.replica_id)).toEqual(['beating-1']);
    }, POLL);
    const gone = Date.now() - crashedAt;
    expect(gone).toBeLessThanOrEqual(TTL_MS + SLACK_MS);

    // Twice the TTL later the beating replica is still there; the index was pruned of the dead one.
    await new Promise((r) => setTimeout(r, TTL_MS * 2 - gone));
    expect((await reader.live('verifier')).map((r) => r.replica_id)).toEqual(['beating-1']);
    expect(await admin.smembers(`${prefix}:registry.idx:verifier`)).toEqual(['beating-1']);
  });

  it('writes the whole entry each beat, so an entry lost from Redis comes back', async () => {
    const r = await registry();
    await r.announce(announcement('generator', 'g-1', 'http://10.0.0.3:11003'));
    await admin.del(`${prefix}:registry:generator:g-1`);
    expect(await r.live('generator')).toEqual([]);
    await vi.waitFor(async () => {
      expect((await r.live('generator')).map((x) => x.replica_id)).toEqual(['g-1']);
    }, POLL);
  });

  it('runAgent announces the process with REDIS_URL set, and withdraws it on SIGTERM', async () => {
    const agent = `regtest-${randomUUID().slice(0, 8)}`;
    const kit = (file: string): string =>
      fileURLToPath(new URL(`../../agents/common/src/${file}`, import.meta.url));
    const code = [
      `import { runAgent } from ${JSON.stringify(kit('service/run-agent.ts'))};`,
      `import { createTestAgent } from ${JSON.stringify(kit('testing/test-agent.ts'))};`,
      `const { definition } = createTestAgent();`,
      `await runAgent({ agentName: ${JSON.stringify(agent)}, port: 0 }, () => ({ definition: { ...definition, name: ${JSON.stringify(agent)} } }));`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: {
        ...process.env,
        REDIS_URL,
        AGENT_NAME: agent,
        AGENT_PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    closers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await deleteKeys(REDIS_URL, `sutazai:agent.${agent}`);
      await deleteKeys(REDIS_URL, `sutazai:registry:${agent}:`);
      await deleteKeys(REDIS_URL, `sutazai:registry.idx:${agent}`);
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
    const announced = await new Promise<{ replica_id: string; url: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no announcement; stderr: ${stderr.join('\n')}`)),
        15_000,
      );
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.includes('announced in the agent registry')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { replica_id: string; url: string });
      });
    });
    expect(announced.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(announced.replica_id).toMatch(new RegExp(`-${child.pid}-[0-9a-f]{6}$`));

    // The registry of the deployment: the default prefix, read from another connection.
    const reader = await createRedisAgentRegistry({ url: REDIS_URL, logger: silent });
    closers.push(() => reader.close());
    const [entry] = await reader.live(agent);
    expect(entry).toMatchObject({
      replica_id: announced.replica_id,
      url: announced.url,
      version: '1.0.0',
      capability: 'test',
    });
    expect((await fetch(`${announced.url}/health`)).status).toBe(200);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Withdrawn, not expired: gone well before the default 10 s TTL could have run out.
    expect(await reader.live(agent)).toEqual([]);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
  });

  describe('behind the mesh', () => {
    interface Replica {
      id: string;
      service: TestService;
      registry: AgentRegistry;
      url: string;
      posts: number;
    }
    let mesh: Mesh;
    let meshUrl = '';
    let tenant = '';

    const startReplica = async (id: string): Promise<Replica> => {
      const config = loadConfig({ REDIS_URL }, { agentName: 'testagent', port: 0 });
      const backend = await createJobBackendFromConfig(config, {
        logger: silent,
        redis: { prefix, worker: { lockDurationMs: 1_500, stalledIntervalMs: 500, redeliveryDelayMs: 50 } },
      });
      const { definition } = createTestAgent();
      const service = await startTestService(definition, { backend });
      const replica: Replica = { id, service, registry: await registry(), url: '', posts: 0 };
      service.app.addHook('onRequest', async (req) => {
        if (req.method === 'POST' && req.url === '/v1/jobs') replica.posts++;
      });
      replica.url = await service.app.listen({ port: 0, host: '127.0.0.1' });
      closers.push(() => service.close(0));
      await replica.registry.announce({
        ...announcement('testagent', id, replica.url),
        version: definition.version,
      });
      return replica;
    };

    const submit = async (message: string): Promise<JobRecord> => {
      const res = await fetch(`${meshUrl}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': tenant, prefer: 'wait=10' },
        body: JSON.stringify({ agent: 'testagent', kind: 'echo', input: { message } }),
        signal: AbortSignal.timeout(15_000),
      });
      expect(res.status).toBe(200);
      return JobRecord.parse(await res.json());
    };

    const agentsReport = async (): Promise<AgentsReport> => {
      const res = await fetch(`${meshUrl}/v1/agents`);
      expect(res.status).toBe(200);
      return (await res.json()) as AgentsReport;
    };

    beforeEach(async () => {
      tenant = `t-${randomUUID().slice(0, 8)}`;
      const meshRegistry = await registry();
      mesh = buildMesh({
        config: meshTestConfig({}, { registryCacheMs: 0, logLevel: 'silent', redisUrl: REDIS_URL }),
        logger: silent,
        metrics: new AgentMetrics({ namespace: 'sutazai_agents', agent: 'mesh' }),
        buildInfo: { name: 'mesh', version: '0.1.0', git_sha: 'test', build_time: new Date(0).toISOString() },
        replicas: meshRegistry,
      });
      meshUrl = await mesh.app.listen({ port: 0, host: '127.0.0.1' });
      closers.push(() => mesh.close());
    });

    it('routes jobs to every live replica and shows each in /v1/agents', async () => {
      const a = await startReplica('replica-a');
      const b = await startReplica('replica-b');
      for (let i = 0; i < 6; i++) {
        const rec = await submit(`m${i}`);
        expect(rec).toMatchObject({ status: 'succeeded', result: { message: `m${i}` } });
        expect(rec.job_id).toMatch(/^testagent\./);
      }
      expect([a.posts, b.posts]).toEqual([3, 3]);

      const report = await agentsReport();
      expect(report.registry).toEqual({ source: 'redis', ttl_ms: TTL_MS });
      const agent = report.agents.find((x) => x.name === 'testagent');
      expect(agent).toMatchObject({
        url: a.url,
        health: { status: 'ok' },
        ready: { status: 'ready' },
        descriptor: { name: 'testagent' },
      });
      expect(agent?.replicas).toEqual([
        expect.objectContaining({
          replica_id: 'replica-a',
          url: a.url,
          version: '1.0.0',
          source: 'announced',
          ready: { status: 'ready', failing: [] },
        }),
        expect.objectContaining({
          replica_id: 'replica-b',
          url: b.url,
          ready: { status: 'ready', failing: [] },
        }),
      ]);
      expect(agent?.replicas.map((r) => r.health.status)).toEqual(['ok', 'ok']);
    });

    it('drops a replica that died without withdrawing within the TTL, and keeps serving via the other', async () => {
      const a = await startReplica('replica-a');
      const b = await startReplica('replica-b');
      expect((await submit('before')).status).toBe('succeeded');

      // A crash: heartbeats stop and the server goes away; nothing is withdrawn.
      await a.registry.close();
      await a.service.close(0);
      const crashedAt = Date.now();
      const bBefore = b.posts;
      for (let i = 0; i < 4; i++) expect((await submit(`after${i}`)).status).toBe('succeeded');
      expect(b.posts - bBefore).toBe(4);

      await vi.waitFor(async () => {
        const agent = (await agentsReport()).agents.find((x) => x.name === 'testagent');
        expect(agent?.replicas.map((r) => r.replica_id)).toEqual(['replica-b']);
      }, POLL);
      expect(Date.now() - crashedAt).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
      expect((await submit('later')).status).toBe('succeeded');
    });
  });
});

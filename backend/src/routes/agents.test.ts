import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem, createStaticAgentRegistry, isAgentError } from '@sutazai/agent-kit';
import { AgentRegistry, type AgentsReport } from '../agent-registry.js';
import {
  closedPort,
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from '../testing/fixtures/mesh-harness.js';

let healthy: RunningAgent;
let sick: RunningAgent;
let goneUrl: string;
let m: RunningMesh;

beforeAll(async () => {
  healthy = await startAgent('orchestrator');
  sick = await startAgent('sick', {
    checks: [{ name: 'postgres', check: async () => ({ ok: false, detail: 'connection refused' }) }],
  });
  goneUrl = `http://127.0.0.1:${await closedPort()}`;
  m = await startMesh({ orchestrator: healthy.url, sick: sick.url, gone: goneUrl });
});
afterAll(async () => {
  await m.close();
  await Promise.all([healthy.close(), sick.close()]);
});

describe('GET /v1/agents', () => {
  it('shows every agent with its url, live health and readiness, and its descriptor', async () => {
    const res = await fetch(`${m.url}/v1/agents`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as AgentsReport;
    expect(report.agents.map((a) => a.name)).toEqual(['gone', 'orchestrator', 'sick']);
    const [gone, orchestrator, ill] = report.agents;

    expect(orchestrator).toMatchObject({
      url: healthy.url,
      health: { status: 'ok', version: '1.0.0' },
      ready: { status: 'ready', failing: [] },
      descriptor: { name: 'orchestrator', capability: 'test' },
    });
    expect(orchestrator?.descriptor?.kinds.map((k) => k.kind)).toContain('echo');

    expect(ill).toMatchObject({ url: sick.url, health: { status: 'ok' }, ready: { status: 'not_ready' } });
    expect(ill?.ready.failing).toEqual(['postgres']);
    expect(ill?.ready.detail).toContain('postgres');

    expect(gone).toMatchObject({
      url: goneUrl,
      health: { status: 'down' },
      ready: { status: 'unreachable' },
    });
    expect(gone?.descriptor).toBeNull();
    expect(gone?.descriptor_error).toMatch(/unreachable/);
  });

  it('names the static registry and shows each agent as its one configured replica', async () => {
    const report = (await (await fetch(`${m.url}/v1/agents`)).json()) as AgentsReport;
    expect(report.registry).toEqual({ source: 'static', ttl_ms: 0 });
    const orchestrator = report.agents.find((a) => a.name === 'orchestrator');
    expect(orchestrator?.replicas).toEqual([
      {
        replica_id: 'orchestrator@config',
        url: healthy.url,
        source: 'configured',
        health: orchestrator?.health,
        ready: { status: 'ready', failing: [] },
      },
    ]);
    expect(report.agents.find((a) => a.name === 'gone')?.replicas.map((r) => r.health.status)).toEqual([
      'down',
    ]);
  });
});

describe('AgentRegistry.statuses', () => {
  it('probes in parallel once per cache window', async () => {
    const calls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };
    let now = 1_000_000;
    const registry = new AgentRegistry({
      agents: { orchestrator: healthy.url, sick: sick.url },
      probeTimeoutMs: 500,
      cacheMs: 2000,
      fetch: counting,
      now: () => now,
    });
    const [a, b] = await Promise.all([registry.statuses(), registry.statuses()]);
    expect(b).toBe(a);
    expect(calls).toHaveLength(6); // health, ready and descriptor of two agents
    now += 1999;
    expect(await registry.statuses()).toBe(a);
    expect(calls).toHaveLength(6);
    now += 1;
    const c = await registry.statuses();
    expect(c).not.toBe(a);
    expect(calls).toHaveLength(12);
  });
});

describe('AgentRegistry with a shared registry', () => {
  it('routes to the replicas it lists, moving past one that refuses, and knows agents only it lists', async () => {
    const replicas = createStaticAgentRegistry({});
    const at = (replica_id: string, url: string) => ({
      agent: 'extra',
      replica_id,
      url,
      version: '1.0.0',
      started_at: new Date(0).toISOString(),
      capability: 'test',
    });
    await replicas.announce(at('a-dead', goneUrl));
    await replicas.announce(at('b-live', healthy.url));
    const registry = new AgentRegistry({ agents: {}, replicas, probeTimeoutMs: 500, cacheMs: 0 });
    expect(registry.has('extra')).toBe(false);
    expect(await registry.knows('extra')).toBe(true);
    expect(await registry.knows('nobody')).toBe(false);

    for (let i = 0; i < 3; i++) {
      const answer = await registry.call('extra', {
        method: 'GET',
        path: '/v1/agent',
        headers: {},
        timeoutMs: 1000,
      });
      expect(answer.status).toBe(200);
    }
    const report = await registry.statuses();
    expect(report.agents.find((a) => a.name === 'extra')?.replicas.map((r) => r.replica_id)).toEqual([
      'a-dead',
      'b-live',
    ]);
    expect(await registry.readiness('extra').check(AbortSignal.timeout(1000))).toEqual({ ok: true });

    const onlyDead = createStaticAgentRegistry({ extra: goneUrl });
    const err = await new AgentRegistry({ agents: {}, replicas: onlyDead, probeTimeoutMs: 500, cacheMs: 0 })
      .call('extra', { method: 'GET', path: '/v1/agent', headers: {}, timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(isAgentError(err) && err.code).toBe('dependency_unavailable');
  });
});

describe('GET /ready of the mesh', () => {
  it('is 200 when the orchestrator is ready, naming the check agent:orchestrator', async () => {
    const res = await fetch(`${m.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      checks: { 'agent:orchestrator': { ok: true } },
    });
  });

  it('is 503 naming agent:orchestrator when the orchestrator is not ready or unreachable', async () => {
    for (const url of [sick.url, goneUrl]) {
      const other = await startMesh({ orchestrator: url });
      try {
        const res = await fetch(`${other.url}/ready`);
        expect(res.status).toBe(503);
        const body = Problem.parse(await res.json()) as Problem & { details?: { failing?: string[] } };
        expect(body.code).toBe('not_ready');
        expect(body.details?.failing).toEqual(['agent:orchestrator']);
      } finally {
        await other.close();
      }
    }
  });

  it('is 503 shutting_down once stopped', async () => {
    const other = await startMesh({ orchestrator: healthy.url });
    try {
      other.mesh.stop();
      const res = await fetch(`${other.url}/ready`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('shutting_down');
    } finally {
      await other.close();
    }
  });
});

describe('service routes of the mesh', () => {
  it('serves /health, /version and /metrics labelled agent="mesh"', async () => {
    expect(await (await fetch(`${m.url}/health`)).json()).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect(await (await fetch(`${m.url}/version`)).json()).toMatchObject({ name: 'mesh', git_sha: 'test' });
    await fetch(`${m.url}/v1/jobs/nobody.1`);
    const text = await (await fetch(`${m.url}/metrics`)).text();
    expect(text).toMatch(
      /sutazai_agents_http_request_duration_ms_count\{agent="mesh",method="GET",route="\/v1\/jobs\/:job_id",status="404"\} [1-9]/,
    );
    expect(text).toMatch(/sutazai_agents_errors_total\{agent="mesh",type="job_not_found"\} [1-9]/);
  });
});

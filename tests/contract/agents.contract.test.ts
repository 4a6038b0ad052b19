/**
 * The service contract (SPEC §3), probed over real HTTP on every agent found under agents/ — a new
 * agent is covered by declaring its `sutazai` field, with nothing to add here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AgentDescriptor,
  JobAccepted,
  JobEvent,
  JobRecord,
  Problem,
  TERMINAL_EVENT_TYPES,
  type JobEventType,
} from '@sutazai/agent-kit';
import { discoverAgents } from '../../scripts/inventory.js';
import { loadAgentModule } from './helpers/agent-modules.js';
import { startContractAgent, type ContractAgent } from './helpers/contract-agent.js';
import { expectProblem, postJob, rawHttp, waitForTerminal } from './helpers/http.js';
import { compileSchema, schemaErrors } from './helpers/json-schema.js';
import { SPEC_FAMILIES, parseFamilies, parseSamples } from './helpers/prometheus.js';
import { RawEventStream, readWithEventSource, type ReceivedEvent } from './helpers/sse.js';
import { startTestService } from '../../agents/common/src/testing/harness.js';
import { createTestAgent } from '../../agents/common/src/testing/test-agent.js';

const manifests = discoverAgents();

/**
 * The rest of the platform, running beside the agent under test: one instance of every agent,
 * published as AGENT_URL_<NAME> so agents that call others (the orchestrator) reach real peers.
 */
let peers: ContractAgent[] = [];
const peerEnv = new Map<string, string | undefined>();
beforeAll(async () => {
  peers = await Promise.all(manifests.map((m) => startContractAgent(m)));
  for (const p of peers) {
    const key = `AGENT_URL_${p.manifest.agent.toUpperCase().replace(/-/g, '_')}`;
    peerEnv.set(key, process.env[key]);
    process.env[key] = p.base;
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  for (const [key, value] of peerEnv) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** Asserts a complete stream of one job: ids 1..n in order, `job.queued` first, one terminal event, last. */
function expectWholeStream(events: ReceivedEvent[], jobId: string, label: string): void {
  expect(events.length, label).toBeGreaterThanOrEqual(2);
  expect(
    events.map((e) => e.id),
    label,
  ).toEqual(events.map((_, i) => String(i + 1)));
  expect(events[0]?.type, label).toBe('job.queued');
  const terminal = events.filter((e) => TERMINAL_EVENT_TYPES.has(e.type as JobEventType));
  expect(terminal, label).toHaveLength(1);
  expect(events.at(-1), label).toBe(terminal[0]);
  for (const e of events) {
    const parsed = JobEvent.parse(e.data);
    expect(parsed, label).toMatchObject({ id: Number(e.id), type: e.type, job_id: jobId });
  }
}

async function getJson(base: string, path: string): Promise<{ res: Response; body: unknown }> {
  const res = await fetch(`${base}${path}`);
  return { res, body: await res.json() };
}

describe('agent discovery', () => {
  it('finds the agents under agents/, the planner among them', () => {
    expect(manifests.map((m) => m.agent)).toContain('planner');
  });

  it.each(manifests)(
    '$agent exports its factory and a { agentName, port } matching its package.json',
    async (m) => {
      const mod = await loadAgentModule(m);
      expect(mod.defaults).toEqual({ agentName: m.agent, port: m.port });
      expect(typeof mod.factory).toBe('function');
    },
  );
});

describe.each(manifests)('agent $agent: service contract over HTTP', (manifest) => {
  let agent: ContractAgent;
  let base: string;
  let descriptor: AgentDescriptor;

  beforeAll(async () => {
    agent = await startContractAgent(manifest);
    base = agent.base;
    descriptor = AgentDescriptor.parse((await getJson(base, '/v1/agent')).body);
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('GET /health → 200 {status: ok, version, uptime_s}', async () => {
    const { res, body } = await getJson(base, '/health');
    expect(res.status).toBe(200);
    const health = z
      .object({ status: z.literal('ok'), version: z.string(), uptime_s: z.number().int().min(0) })
      .strict()
      .parse(body);
    expect(health.version).toBe(descriptor.version);
  });

  it('GET /ready → 200 ready, or 503 problem naming every failing dependency', async () => {
    const res = await fetch(`${base}/ready`);
    if (res.status === 200) {
      z.object({ status: z.literal('ready'), checks: z.unknown() }).parse(await res.json());
      return;
    }
    const problem = await expectProblem(res, 503, 'not_ready');
    const failing = z.object({ details: z.object({ failing: z.array(z.string()).min(1) }) }).parse(problem)
      .details.failing;
    for (const name of failing) expect(problem.detail).toContain(name);
  });

  it('GET /version → {name, version, git_sha, build_time}', async () => {
    const { res, body } = await getJson(base, '/version');
    expect(res.status).toBe(200);
    const version = z
      .object({
        name: z.string(),
        version: z.string().min(1),
        git_sha: z.string().min(1),
        build_time: z.iso.datetime({ offset: true }),
      })
      .strict()
      .parse(body);
    expect(version).toMatchObject({ name: manifest.agent, version: descriptor.version });
  });

  it('GET /v1/agent → a valid descriptor whose examples validate against their input schemas', () => {
    expect(descriptor).toMatchObject({ name: manifest.agent, capability: manifest.capability });
    for (const k of descriptor.kinds) {
      const validate = compileSchema(k.input_schema);
      expect(validate(k.example), `${k.kind} example: ${schemaErrors(validate)}`).toBe(true);
      compileSchema(k.output_schema);
    }
  });

  it('GET /openapi.json → a valid OpenAPI document with the job API and every kind', async () => {
    const { res, body } = await getJson(base, '/openapi.json');
    expect(res.status).toBe(200);
    const result = await new Validator().validate(structuredClone(body) as Record<string, unknown>);
    expect(result.valid, JSON.stringify(result.errors)).toBe(true);
    const doc = body as { paths: Record<string, unknown> };
    for (const p of [
      '/health',
      '/ready',
      '/metrics',
      '/version',
      '/v1/agent',
      '/v1/jobs',
      '/v1/jobs/{job_id}',
      '/v1/jobs/{job_id}/events',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    for (const k of descriptor.kinds) expect(JSON.stringify(body)).toContain(JSON.stringify(k.kind));
  });

  it('each kind: the example → 202 + Location, and the job ends succeeded', async () => {
    for (const k of descriptor.kinds) {
      const res = await postJob(base, { kind: k.kind, input: k.example });
      expect(res.status, k.kind).toBe(202);
      const accepted = JobAccepted.parse(await res.json());
      expect(res.headers.get('location'), k.kind).toBe(`/v1/jobs/${accepted.job_id}`);
      const rec = await waitForTerminal(base, accepted.job_id);
      expect(rec, `${k.kind}: ${JSON.stringify(rec.error)}`).toMatchObject({
        status: 'succeeded',
        kind: k.kind,
      });
    }
  });

  it('each kind: Prefer: wait=10 → 200 with the finished record; its result validates against output_schema', async () => {
    for (const k of descriptor.kinds) {
      const res = await postJob(base, { kind: k.kind, input: k.example }, { prefer: 'wait=10' });
      expect(res.status, k.kind).toBe(200);
      expect(res.headers.get('preference-applied')).toBe('wait=10');
      const rec = JobRecord.parse(await res.json());
      expect(rec, `${k.kind}: ${JSON.stringify(rec.error)}`).toMatchObject({
        status: 'succeeded',
        kind: k.kind,
      });
      const validate = compileSchema(k.output_schema);
      expect(validate(rec.result), `${k.kind} result: ${schemaErrors(validate)}`).toBe(true);
    }
  });

  it('each kind: the SSE stream (eventsource client) has ids 1..n, ends after the terminal event, and resumes after Last-Event-ID', async () => {
    for (const k of descriptor.kinds) {
      const accepted = JobAccepted.parse(
        await (await postJob(base, { kind: k.kind, input: k.example })).json(),
      );
      const url = `${base}/v1/jobs/${accepted.job_id}/events`;
      const whole = await readWithEventSource(url);
      expect(whole.endedByServer, `${k.kind}: the server ends the stream`).toBe(true);
      expectWholeStream(whole.events, accepted.job_id, k.kind);
      expect(whole.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(whole.headers.get('cache-control')).toBe('no-cache');
      expect(whole.headers.get('x-accel-buffering')).toBe('no');

      const middle = Math.max(1, Math.floor(whole.events.length / 2));
      const resumed = await readWithEventSource(url, { lastEventId: String(middle) });
      expect(resumed.endedByServer).toBe(true);
      expect(resumed.events, `${k.kind}: exactly the events after ${middle}`).toEqual(
        whole.events.slice(middle),
      );

      const afterEnd = await readWithEventSource(url, { lastEventId: String(whole.events.length) });
      expect(afterEnd, `${k.kind}: a reconnect after the end gets nothing more and is closed`).toMatchObject({
        events: [],
        endedByServer: true,
      });
    }
  });

  it('idempotency: same key → same job; other body → 422; malformed key → 400', async () => {
    const k = descriptor.kinds[0]!;
    const key = `contract-${randomUUID()}`;
    const body = { kind: k.kind, input: k.example };
    const first = await postJob(base, body, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const id = JobAccepted.parse(await first.json()).job_id;
    const again = await postJob(base, body, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(JobAccepted.parse(await again.json()).job_id).toBe(id);
    await expectProblem(
      await postJob(base, { ...body, metadata: { variant: 'other' } }, { 'idempotency-key': key }),
      422,
      'idempotency_key_mismatch',
    );
    await expectProblem(
      await postJob(base, body, { 'idempotency-key': '""' }),
      400,
      'invalid_idempotency_key',
    );
    await waitForTerminal(base, id);
  });

  it('bad input gets a 4xx problem with a code, and the service keeps serving', async () => {
    const k = descriptor.kinds[0]!;
    await expectProblem(await postJob(base, { kind: 'no.such-kind', input: {} }), 422, 'unknown_kind');
    await expectProblem(await postJob(base, '{"kind":'), 400, 'invalid_json');
    const pad = 'x'.repeat(agent.config.bodyLimitBytes + 1024);
    await expectProblem(
      await postJob(base, { kind: k.kind, input: { ...k.example, pad } }),
      413,
      'payload_too_large',
    );
    await expectProblem(await fetch(`${base}/v1/jobs/${randomUUID()}`), 404, 'job_not_found');
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('a 64 KiB header block → 431 problem, and the service keeps serving', async () => {
    const big = 'a'.repeat(64 * 1024);
    const res = await rawHttp(
      base,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = Problem.parse(JSON.parse(res.body));
    expect(problem).toMatchObject({ status: 431, code: 'headers_too_large' });
    expect(problem.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
  });

  it('continues an incoming traceparent: x-trace-id, the job record and the error bodies carry its trace id', async () => {
    const k = descriptor.kinds[0]!;
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const res = await postJob(base, { kind: k.kind, input: k.example }, { prefer: 'wait=10', traceparent });
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    const rec = JobRecord.parse(await res.json());
    expect(rec.trace_id).toBe(traceId);
    const stored = JobRecord.parse(await (await fetch(`${base}/v1/jobs/${rec.job_id}`)).json());
    expect(stored.trace_id).toBe(traceId);
    const problem = await expectProblem(await postJob(base, '{', { traceparent }), 400, 'invalid_json');
    expect(problem.trace_id).toBe(traceId);
    expect(agent.logs.some((l) => (JSON.parse(l) as { trace_id?: unknown }).trace_id === traceId)).toBe(true);
  });

  it('GET /metrics → Prometheus text with the five sutazai_agents_* families after a job ran', async () => {
    const k = descriptor.kinds[0]!;
    expect((await postJob(base, { kind: k.kind, input: k.example }, { prefer: 'wait=10' })).status).toBe(200);
    await postJob(base, '{');
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parseFamilies(text);
    for (const [family, type] of Object.entries(SPEC_FAMILIES)) {
      const name = `sutazai_agents_${family}`;
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).toMatch(/\S/);
    }
    const samples = parseSamples(text);
    const one = (name: string, labels: Record<string, string>): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([l, v]) => s.labels[l] === v))
        ?.value;
    const a = manifest.agent;
    expect(
      one('sutazai_agents_tasks_total', { agent: a, kind: k.kind, status: 'succeeded' }),
    ).toBeGreaterThanOrEqual(1);
    expect(one('sutazai_agents_task_latency_ms_count', { agent: a, kind: k.kind })).toBeGreaterThanOrEqual(1);
    expect(
      one('sutazai_agents_task_latency_ms_bucket', { agent: a, kind: k.kind, le: '+Inf' }),
    ).toBeGreaterThanOrEqual(1);
    expect(one('sutazai_agents_queue_depth', { agent: a })).toBeGreaterThanOrEqual(0);
    expect(one('sutazai_agents_errors_total', { agent: a, type: 'invalid_json' })).toBeGreaterThanOrEqual(1);
    for (const s of samples) {
      for (const unbounded of ['job_id', 'tenant_id', 'trace_id'])
        expect(s.labels, s.name).not.toHaveProperty(unbounded);
    }
  });

  // Last: covers the log lines of every request above.
  it('logs JSON lines, each with agent, trace_id and tenant_id', () => {
    expect(agent.logs.length).toBeGreaterThan(0);
    const lines = agent.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) {
      expect(line, JSON.stringify(line)).toMatchObject({ agent: manifest.agent });
      expect(line).toHaveProperty('trace_id');
      expect(line).toHaveProperty('tenant_id');
    }
    expect(lines.some((l) => typeof l.trace_id === 'string' && l.tenant_id === 'default')).toBe(true);
  });
});

const HEARTBEAT = ': heartbeat\n\n';
const TERMINAL_FIELD = /^event: job\.(succeeded|failed|cancelled|expired)$/m;

describe.each(manifests)(
  'agent $agent: SSE heartbeat on an idle stream (SSE_HEARTBEAT_MS=100)',
  (manifest) => {
    let agent: ContractAgent;
    afterAll(async () => {
      await agent?.close();
    });

    it('sends heartbeat comments while the job waits, then its events, and ends', async () => {
      // Workers not started: the job stays queued, so its stream is idle until they are.
      agent = await startContractAgent(manifest, { env: { SSE_HEARTBEAT_MS: '100' }, startEngine: false });
      const k = AgentDescriptor.parse((await getJson(agent.base, '/v1/agent')).body).kinds[0]!;
      const accepted = JobAccepted.parse(
        await (await postJob(agent.base, { kind: k.kind, input: k.example })).json(),
      );
      const stream = await RawEventStream.open(`${agent.base}/v1/jobs/${accepted.job_id}/events`);
      try {
        const idle = await stream.until((t) => t.includes(HEARTBEAT), 5000);
        expect(idle).toContain(HEARTBEAT);
        expect(idle).toMatch(/^event: job\.queued$/m);
        expect(idle).not.toMatch(TERMINAL_FIELD);
        agent.service.engine.start();
        await stream.until(() => false, 10_000);
        expect(stream.ended).toBe(true);
        expect(stream.text).toMatch(TERMINAL_FIELD);
      } finally {
        stream.close();
      }
    });
  },
);

describe('kit test agent: SSE heartbeat on a running job', () => {
  it('sends heartbeat comments while a long job runs', async () => {
    const svc = await startTestService(createTestAgent().definition, { sseHeartbeatMs: 100 });
    try {
      const base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
      const accepted = JobAccepted.parse(
        await (await postJob(base, { kind: 'sleep', input: { ms: 2000 } })).json(),
      );
      const stream = await RawEventStream.open(`${base}/v1/jobs/${accepted.job_id}/events`);
      try {
        const text = await stream.until((t) => t.includes(HEARTBEAT), 1500);
        expect(text).toMatch(/^event: step\.started$/m);
        expect(text).not.toMatch(TERMINAL_FIELD);
      } finally {
        stream.close();
      }
    } finally {
      await svc.close(100);
    }
  });
});

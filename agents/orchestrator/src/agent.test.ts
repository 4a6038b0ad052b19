import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import {
  AgentMetrics,
  JobRecord,
  createStaticAgentRegistry,
  deriveChildKey,
  formatTraceparent,
  isTerminal,
  loadConfig,
  noopLogger,
  readJobEvents,
  type JobContext,
  type JobEvent,
} from '@sutazai/agent-kit';
import { startTestService, type TestService } from '@sutazai/agent-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ORCHESTRATOR, createAgentLinks, createOrchestrator, orchestratorDefinition } from './agent.js';
import { CAPABILITY_AGENTS, type CapabilityAgent } from './pipeline.js';
import { RagAnswerInput, RagAnswerOutput } from './rag-schema.js';
import {
  startCapabilityFixtures,
  type CapabilityFixtures,
  type FixtureOptions,
} from './testing/fixtures/capability-agents.js';

const QUESTION = 'How do I start the stack?';

interface Orchestrator {
  svc: TestService;
  base: string;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function fixtures(opts: FixtureOptions = {}): Promise<CapabilityFixtures> {
  const fx = await startCapabilityFixtures(opts);
  cleanups.push(() => fx.close());
  return fx;
}

/** The orchestrator as its factory builds it, with its clients pointed at the fixtures. */
async function orchestrator(
  urls: Record<CapabilityAgent, string>,
  unreachableMs = 5000,
): Promise<Orchestrator> {
  const rt = {
    config: loadConfig({}, { agentName: ORCHESTRATOR.agentName, port: 0 }),
    logger: noopLogger,
    metrics: new AgentMetrics({ namespace: 'sutazai_agents', agent: ORCHESTRATOR.agentName }),
  };
  const built = createOrchestrator(rt, { agentUrls: urls, unreachableMs });
  const svc = await startTestService(built.definition, { checks: built.checks ?? [] });
  const base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const o = {
    svc,
    base,
    close: async () => {
      await svc.close(100);
      await built.close?.();
    },
  };
  cleanups.push(o.close);
  return o;
}

function post(base: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The whole event stream of a finished job, read over SSE. */
async function streamOf(base: string, jobId: string, tenant = 'default'): Promise<JobEvent[]> {
  const res = await fetch(`${base}/v1/jobs/${jobId}/events`, { headers: { 'x-tenant-id': tenant } });
  expect(res.status).toBe(200);
  const out: JobEvent[] = [];
  for await (const ev of readJobEvents(res.body as ReadableStream<Uint8Array>)) out.push(ev);
  return out;
}

async function childRecord(base: string, jobId: string, tenant: string): Promise<JobRecord> {
  const res = await fetch(`${base}/v1/jobs/${jobId}`, { headers: { 'x-tenant-id': tenant } });
  expect(res.status).toBe(200);
  return JobRecord.parse(await res.json());
}

/** Polls `read` until `done` holds (bounded), returning the last value. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The orchestrator's own step events (relayed child step events carry `child`). */
const ownSteps = (events: JobEvent[]): string[] =>
  events
    .filter((e) => e.type.startsWith('step.') && !('child' in e.data))
    .map((e) => `${e.type} ${String(e.data.step)}`);

describe('orchestrator over HTTP, with four capability agents', () => {
  it('answers through retrieve → plan → generate → verify, streaming steps and tokens, with derived keys, the deadline, tenant and trace', async () => {
    const fx = await fixtures();
    const orch = await orchestrator(fx.urls);
    const traceId = randomBytes(16).toString('hex');
    const res = await post(
      orch.base,
      { kind: 'rag.answer', input: { question: QUESTION }, deadline_ms: 15_000 },
      {
        prefer: 'wait=10',
        traceparent: formatTraceparent(traceId, randomBytes(8).toString('hex'), true),
        'x-tenant-id': 'acme',
      },
    );
    expect(res.status).toBe(200);
    const rec = JobRecord.parse(await res.json());
    expect(rec, JSON.stringify(rec.error)).toMatchObject({
      status: 'succeeded',
      trace_id: traceId,
      tenant_id: 'acme',
    });
    const out = RagAnswerOutput.parse(rec.result);

    expect(out).toMatchObject({
      answer:
        'Run npm start to launch the stack. [README.md#0] Run npm test to run the unit tests. [README.md#1]',
      citations: [
        {
          chunk_id: 'README.md#0',
          document_id: 'doc-readme',
          source: 'README.md',
          quote: 'Run npm start to launch the stack.',
        },
        {
          chunk_id: 'README.md#1',
          document_id: 'doc-readme',
          source: 'README.md',
          quote: 'Run npm test to run the unit tests.',
        },
      ],
      verdict: { verdict: 'pass', score: 1, reasons: [] },
      plan: { goal: QUESTION },
      mode: 'extractive',
      regenerations: 0,
    });
    expect(out.steps.map((s) => [s.step, s.agent, s.attempt])).toEqual([
      ['retrieve', 'retriever', 0],
      ['plan', 'planner', 0],
      ['generate', 'generator', 0],
      ['verify', 'verifier', 0],
    ]);

    const events = await streamOf(orch.base, rec.job_id, 'acme');
    expect(ownSteps(events)).toEqual([
      'step.started retrieve',
      'step.completed retrieve',
      'step.started plan',
      'step.completed plan',
      'step.started generate#0',
      'step.completed generate#0',
      'step.started verify#0',
      'step.completed verify#0',
    ]);
    const own = events.filter((e) => e.type.startsWith('step.') && !('child' in e.data));
    for (const [i, s] of out.steps.entries()) {
      expect(own[2 * i]?.data).toEqual({ step: own[2 * i]?.data.step, agent: s.agent, job_id: s.job_id });
      expect(own[2 * i + 1]?.data).toMatchObject({
        agent: s.agent,
        job_id: s.job_id,
        ms: expect.any(Number) as unknown,
      });
    }
    // Relayed tokens: all inside the generate step, in order, labelled with it, spelling the answer.
    const types = events.map((e) =>
      e.type === 'token'
        ? 'token'
        : e.type.startsWith('step.') && !('child' in e.data)
          ? `${e.type} ${String(e.data.step)}`
          : e.type,
    );
    const firstToken = types.indexOf('token');
    expect(firstToken).toBeGreaterThan(types.indexOf('step.started generate#0'));
    expect(types.lastIndexOf('token')).toBeLessThan(types.indexOf('step.completed generate#0'));
    const tokens = events.filter((e) => e.type === 'token');
    expect(tokens.every((t) => t.data.step === 'generate#0')).toBe(true);
    expect(tokens.map((t) => t.data.text).join('')).toBe(out.answer);
    // Only the generator's stream is followed; the other steps are awaited by long poll, so the
    // planner's own step events stay in its job's stream.
    expect(events.filter((e) => 'child' in e.data && e.data.agent !== 'generator')).toEqual([]);
    expect(
      events.filter((e) => e.type === 'step.started' && !('child' in e.data)).map((e) => e.data.step),
    ).toEqual(['retrieve', 'plan', 'generate#0', 'verify#0']);

    // Each child job: the derived key, this job's deadline, tenant and trace, and its parent.
    for (const s of out.steps) {
      const child = await childRecord(fx.urls[s.agent as CapabilityAgent], s.job_id, 'acme');
      const step = s.step === 'generate' || s.step === 'verify' ? `${s.step}#${s.attempt}` : s.step;
      expect(child).toMatchObject({
        status: 'succeeded',
        idempotency_key: deriveChildKey(rec.job_id, step),
        deadline_at: rec.deadline_at,
        trace_id: traceId,
        tenant_id: 'acme',
        parent_job_id: rec.job_id,
      });
    }
    expect(fx.probe.inputs.retriever).toEqual([{ query: QUESTION, top_k: 5 }]);

    const metrics = await (await fetch(`${orch.base}/metrics`)).text();
    expect(metrics).toMatch(/^sutazai_agents_decision_latency_ms_count\{agent="orchestrator"\} 1$/m);
    expect((await fetch(`${orch.base}/ready`)).status).toBe(200);
  });

  it('a verifier that fails once triggers exactly one regeneration, fed with its reasons', async () => {
    const fx = await fixtures({ verifierFailures: 1 });
    const orch = await orchestrator(fx.urls);
    const res = await post(
      orch.base,
      { kind: 'rag.answer', input: { question: QUESTION, max_regenerations: 2 } },
      { prefer: 'wait=10' },
    );
    const rec = JobRecord.parse(await res.json());
    expect(rec.status, JSON.stringify(rec.error)).toBe('succeeded');
    const out = RagAnswerOutput.parse(rec.result);
    expect(out).toMatchObject({
      regenerations: 1,
      verdict: { verdict: 'pass' },
      answer: 'Run npm start to launch the stack. [README.md#0]',
    });
    expect(out.steps.map((s) => `${s.step}#${s.attempt}`)).toEqual([
      'retrieve#0',
      'plan#0',
      'generate#0',
      'verify#0',
      'generate#1',
      'verify#1',
    ]);
    expect(fx.probe.inputs.generator).toHaveLength(2);
    expect(fx.probe.inputs.verifier).toHaveLength(2);
    expect(fx.probe.inputs.generator[0]).not.toHaveProperty('feedback');
    expect(fx.probe.inputs.generator[1]?.feedback).toEqual([
      'sentence 2 is not supported by [README.md#1] (verification 1)',
    ]);

    const events = await streamOf(orch.base, rec.job_id);
    expect(ownSteps(events).filter((s) => s.includes('#1'))).toEqual([
      'step.started generate#1',
      'step.completed generate#1',
      'step.started verify#1',
      'step.completed verify#1',
    ]);
    const second = events.filter((e) => e.type === 'token' && e.data.step === 'generate#1');
    expect(second.map((t) => t.data.text).join('')).toBe(out.answer);
  });

  it('a capability agent killed mid-run fails the job with a problem naming the step, long before its deadline', async () => {
    const fx = await fixtures({ holdGenerator: true });
    const orch = await orchestrator(fx.urls, 300);
    const res = await post(orch.base, {
      kind: 'rag.answer',
      input: { question: QUESTION },
      deadline_ms: 15_000,
      max_attempts: 1,
    });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    const seen = await until(
      () => orch.svc.backend.events.read(jobId, 0),
      (evs) => evs.some((e) => e.type === 'token'),
    );
    expect(seen.some((e) => e.type === 'token')).toBe(true);

    const killedAt = Date.now();
    await fx.services.generator.app.close();
    const rec = await until(
      () => orch.svc.engine.get('default', jobId),
      (r) => isTerminal(r.status),
    );
    expect(rec.status).toBe('failed');
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(rec.error).toMatchObject({
      code: 'dependency_unavailable',
      status: 503,
      retryable: true,
      details: { step: 'generate#0', agent: 'generator' },
    });
    expect(rec.error?.detail).toMatch(/^step generate#0 \(generator\): generator unreachable for \d+ ms/);

    const ready = await fetch(`${orch.base}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { detail: string }).detail).toBe('not ready: agent:generator');
  });

  it('cancelling the orchestration cancels the running child job', async () => {
    const fx = await fixtures({ holdGenerator: true });
    const orch = await orchestrator(fx.urls);
    const { job_id: jobId } = (await (
      await post(orch.base, { kind: 'rag.answer', input: { question: QUESTION } })
    ).json()) as { job_id: string };
    const seen = await until(
      () => orch.svc.backend.events.read(jobId, 0),
      (evs) => evs.some((e) => e.type === 'token'),
    );
    const started = seen.find(
      (e) => e.type === 'step.started' && e.data.step === 'generate#0' && !('child' in e.data),
    );
    const childId = String(started?.data.job_id);

    expect((await fetch(`${orch.base}/v1/jobs/${jobId}/cancel`, { method: 'POST' })).status).toBe(200);
    const child = await until(
      () => childRecord(fx.urls.generator, childId, 'default'),
      (r) => isTerminal(r.status),
    );
    expect(child.status).toBe('cancelled');
    expect((await orch.svc.engine.get('default', jobId)).status).toBe('cancelled');
  });

  it('a retried orchestration (same parent job id) re-attaches to the children that already ran', async () => {
    const fx = await fixtures();
    const links = createAgentLinks({ agentUrls: fx.urls, unreachableMs: 5000 });
    const kind = orchestratorDefinition(links).kinds['rag.answer'];
    if (!kind) throw new Error('rag.answer missing');
    const deadlineAt = Date.now() + 15_000;
    const context = (attempt: number, events: string[], decided: number[]): JobContext => ({
      jobId: 'parent-retried',
      tenantId: 'default',
      traceId: 'b'.repeat(32),
      traceparent: formatTraceparent('b'.repeat(32), randomBytes(8).toString('hex'), true),
      attempt,
      deadlineAt,
      signal: new AbortController().signal,
      log: noopLogger,
      remainingMs: () => Math.max(0, deadlineAt - Date.now()),
      idempotencyKey: (step) => deriveChildKey('parent-retried', step),
      emit: async (type, data) => void events.push(`${type} ${String(data.step)}`),
      token: async (delta) => void events.push(`token ${delta}`),
      decided: () => void decided.push(attempt),
    });
    const input = RagAnswerInput.parse({ question: QUESTION });
    const firstEvents: string[] = [];
    const secondEvents: string[] = [];
    const decided: number[] = [];
    const first = RagAnswerOutput.parse(await kind.handler(input, context(1, firstEvents, decided)));
    const second = RagAnswerOutput.parse(await kind.handler(input, context(2, secondEvents, decided)));

    expect(second.steps.map((s) => s.job_id)).toEqual(first.steps.map((s) => s.job_id));
    expect(fx.probe.executions.size).toBe(4);
    expect([...fx.probe.executions.values()]).toEqual([1, 1, 1, 1]);
    for (const agent of CAPABILITY_AGENTS) expect(fx.probe.inputs[agent]).toHaveLength(1);
    expect(second.answer).toBe(first.answer);
    // The re-attached stream replays what the children said, tokens included.
    expect(secondEvents.filter((e) => e.startsWith('token'))).toEqual(
      firstEvents.filter((e) => e.startsWith('token')),
    );
    expect(decided).toEqual([1, 2]);
    for (const l of Object.values(links)) l.close();
  });
});

describe('orchestrator with a shared registry of replicas', () => {
  it('calls live replicas from the runtime registry, moving past one that refuses, ignoring AGENT_URL_*', async () => {
    const fx = await fixtures();
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const registry = createStaticAgentRegistry({});
    for (const agent of CAPABILITY_AGENTS) {
      for (const [id, url] of [
        ['a-dead', dead],
        ['b-live', fx.urls[agent]],
      ] as const) {
        await registry.announce({
          agent,
          replica_id: id,
          url,
          version: '0.1.0',
          started_at: new Date(0).toISOString(),
          capability: agent,
        });
      }
    }
    const rt = {
      config: loadConfig({}, { agentName: ORCHESTRATOR.agentName, port: 0 }),
      logger: noopLogger,
      metrics: new AgentMetrics({ namespace: 'sutazai_agents', agent: ORCHESTRATOR.agentName }),
      registry,
    };
    const nowhere = Object.fromEntries(CAPABILITY_AGENTS.map((a) => [a, dead])) as Record<
      CapabilityAgent,
      string
    >;
    const built = createOrchestrator(rt, { agentUrls: nowhere, unreachableMs: 5000 });
    const svc = await startTestService(built.definition, { checks: built.checks ?? [] });
    cleanups.push(async () => {
      await svc.close(100);
      await built.close?.();
    });
    const base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await post(
      base,
      { kind: 'rag.answer', input: { question: QUESTION } },
      { prefer: 'wait=10' },
    );
    expect(res.status).toBe(200);
    const rec = JobRecord.parse(await res.json());
    expect(rec.status, JSON.stringify(rec.error)).toBe('succeeded');
    expect(RagAnswerOutput.parse(rec.result).steps.map((s) => s.step)).toEqual([
      'retrieve',
      'plan',
      'generate',
      'verify',
    ]);
    for (const agent of CAPABILITY_AGENTS) expect(fx.probe.inputs[agent]).toHaveLength(1);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

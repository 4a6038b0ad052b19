import { isAgentError, type JobRecord, type LlmClient } from '@sutazai/agent-kit';
import {
  sleep,
  startFakeOllama,
  startTestService,
  testLlm,
  testRuntime,
  type FakeOllama,
  type FakeOllamaPrompt,
  type TestService,
} from '@sutazai/agent-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { PLANNER, buildPlanner, plannerDefinition, type PlannerOptions } from './agent.js';
import { PLAN_JSON_SCHEMA, planMessages, planWithModel, repairPlan } from './model-planner.js';
import { PlanInput, PlanOutput, type Plan } from './plan-schema.js';

const INPUT = PlanInput.parse({
  question: 'How do I start the stack?',
  context: [
    { chunk_id: 'README.md#0', source: 'README.md', text: 'Run npm start to launch the stack.' },
    { chunk_id: 'ops.md#1', source: 'ops.md', text: 'Logs are JSON.' },
  ],
  max_steps: 4,
});

const MODEL_PLAN: Plan = {
  goal: 'Explain how to start the stack',
  question_type: 'how_to',
  answer_style: 'steps',
  keywords: ['start', 'stack'],
  sub_questions: ['How do I start the stack?'],
  needs_retrieval: false,
  steps: [
    {
      id: 'a',
      action: 'read',
      description: 'Read the README',
      chunk_ids: ['README.md#0', 'invented#9', 'README.md#0'],
    },
    { id: 'b', action: 'enumerate', description: 'List the commands', chunk_ids: ['README.md#0'] },
    { id: 'c', action: 'read', description: 'Read the ops notes', chunk_ids: ['ops.md#1'] },
    { id: 'd', action: 'compare', description: 'Compare', chunk_ids: [] },
    { id: 'e', action: 'answer', description: 'Answer as steps', chunk_ids: ['README.md#0'] },
    { id: 'f', action: 'verify', description: 'Check the claims', chunk_ids: [] },
  ],
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fake(opts: Parameters<typeof startFakeOllama>[0] = {}): Promise<FakeOllama> {
  const f = await startFakeOllama(opts);
  cleanups.push(() => f.close());
  return f;
}

function llmFor(url: string): LlmClient {
  return testLlm(url, PLANNER);
}

describe('repairPlan', () => {
  it('renumbers steps, drops unknown and repeated chunk ids, and keeps the last two steps within max_steps', () => {
    const plan = repairPlan(MODEL_PLAN, INPUT);
    expect(plan.steps.map((s) => [s.id, s.action])).toEqual([
      ['s1', 'read'],
      ['s2', 'enumerate'],
      ['s3', 'answer'],
      ['s4', 'verify'],
    ]);
    expect(plan.steps[0]?.chunk_ids).toEqual(['README.md#0']);
    expect(plan.goal).toBe(MODEL_PLAN.goal);
  });
});

describe('planWithModel', () => {
  it('asks for structured output with the Plan schema and returns the repaired plan', async () => {
    const seen: FakeOllamaPrompt[] = [];
    const ollama = await fake({ respond: (req) => (seen.push(req), JSON.stringify(MODEL_PLAN)) });
    const { plan, model } = await planWithModel(llmFor(ollama.url), INPUT);
    expect(model).toBe('tinyllama');
    expect(plan).toEqual(repairPlan(MODEL_PLAN, INPUT));
    expect(seen[0]?.format).toEqual(PLAN_JSON_SCHEMA);
    expect(PLAN_JSON_SCHEMA.type).toBe('object');
    expect(PLAN_JSON_SCHEMA.required).toEqual(Object.keys(MODEL_PLAN));
    expect(PLAN_JSON_SCHEMA).not.toHaveProperty('$schema');
    expect(seen[0]?.options).toMatchObject({ temperature: 0 });
  });

  it('rejects a reply that is not JSON, or JSON of another shape, as model_error', async () => {
    for (const reply of [
      'here is my plan: read, then answer',
      JSON.stringify({ ...MODEL_PLAN, steps: [] }),
    ]) {
      const ollama = await fake({ respond: () => reply });
      const err: unknown = await planWithModel(llmFor(ollama.url), INPUT).catch((e: unknown) => e);
      expect(isAgentError(err) && err.code).toBe('model_error');
    }
  });

  it('shows the passages (ids and previews), the question and the step limit', () => {
    const long = PlanInput.parse({
      question: 'Q?',
      context: [{ chunk_id: 'x#0', text: 'w '.repeat(400) }],
      max_steps: 5,
    });
    const [system, user] = planMessages(long);
    expect(system?.content).toContain('Reply with JSON only');
    expect(user?.content).toContain('Question: Q?');
    expect(user?.content).toContain('- id: x#0');
    expect(user?.content).toContain('at most 5 steps');
    expect(user?.content.length).toBeLessThan(500);
    expect(planMessages(PlanInput.parse({ question: 'Q?' }))[1]?.content).toContain('Passages: none.');
  });
});

describe('plan.create with a model', () => {
  async function service(opts: PlannerOptions): Promise<TestService> {
    const svc = await startTestService(plannerDefinition(opts));
    cleanups.push(() => svc.close(100));
    return svc;
  }

  async function run(svc: TestService, extra: Record<string, unknown> = {}): Promise<JobRecord> {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'plan.create', input: INPUT, ...extra },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ job_id: string }>().job_id;
    const until = Date.now() + 10_000;
    for (;;) {
      const rec = (await svc.app.inject(`/v1/jobs/${id}`)).json<JobRecord>();
      if (['succeeded', 'failed', 'cancelled', 'expired'].includes(rec.status)) return rec;
      if (Date.now() > until) throw new Error(`job still ${rec.status}`);
      await sleep(5);
    }
  }

  it("uses the model's plan and names the model", async () => {
    const ollama = await fake({ respond: () => JSON.stringify(MODEL_PLAN) });
    const rec = await run(await service({ llm: llmFor(ollama.url) }));
    const out = PlanOutput.parse(rec.result);
    expect(out).toMatchObject({ planner: 'model', model: 'tinyllama', plan: { goal: MODEL_PLAN.goal } });
    expect(out.plan.steps).toHaveLength(4);
  });

  it("accepts the fake's schema-derived plan (structured output) and repairs its ids", async () => {
    const ollama = await fake();
    const out = PlanOutput.parse((await run(await service({ llm: llmFor(ollama.url) }))).result);
    expect(out.planner).toBe('model');
    expect(out.plan.steps[0]).toMatchObject({ id: 's1', chunk_ids: [] });
  });

  it('falls back to the deterministic plan on an invalid reply or a model that is down', async () => {
    const bad = await fake({ respond: () => '{"goal": 1}' });
    const fromBad = PlanOutput.parse((await run(await service({ llm: llmFor(bad.url) }))).result);
    expect(fromBad).toMatchObject({ planner: 'deterministic' });
    expect(fromBad.model).toBeUndefined();

    const down = await fake();
    const llm = llmFor(down.url);
    await down.close();
    const rec = await run(await service({ llm }));
    expect(rec).toMatchObject({ status: 'succeeded', attempts: 1, result: { planner: 'deterministic' } });
  });

  it('ends expired, with the model call stopped, when the deadline passes first', async () => {
    const ollama = await fake({ tokenDelayMs: 50, respond: () => JSON.stringify(MODEL_PLAN) });
    const rec = await run(await service({ llm: llmFor(ollama.url) }), { deadline_ms: 300 });
    expect(rec).toMatchObject({ status: 'expired', error: { code: 'deadline_exceeded' } });
    expect((await ollama.waitForDisconnect()).path).toBe('/api/chat');
  });
});

describe('buildPlanner', () => {
  const runtime = (env: Record<string, string>) => testRuntime(env, PLANNER);

  it('without OLLAMA_BASE_URL: deterministic, no readiness check', () => {
    const built = buildPlanner(runtime({}));
    expect(built.checks).toBeUndefined();
    expect(built.afterListen).toBeUndefined();
  });

  it('with OLLAMA_BASE_URL: not ready until warmed up, then plans with MODEL_ID', async () => {
    const ollama = await fake({
      models: ['tinyllama', 'qwen2:0.5b'],
      respond: () => JSON.stringify(MODEL_PLAN),
    });
    const built = buildPlanner(runtime({ OLLAMA_BASE_URL: ollama.url, MODEL_ID: 'qwen2:0.5b' }));
    const svc = await startTestService(built.definition, { checks: built.checks ?? [] });
    cleanups.push(() => svc.close(100));
    expect((await svc.app.inject('/ready')).statusCode).toBe(503);
    await built.afterListen?.();
    expect((await svc.app.inject('/ready')).statusCode).toBe(200);
    const res = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { prefer: 'wait=10' },
      payload: { kind: 'plan.create', input: INPUT },
    });
    expect(res.json<JobRecord>().result).toMatchObject({ planner: 'model', model: 'qwen2:0.5b' });
  });
});

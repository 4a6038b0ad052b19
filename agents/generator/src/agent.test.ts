import { type JobEvent, type JobRecord, type LlmClient } from '@sutazai/agent-kit';
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
import { GENERATOR, buildGenerator, generatorDefinition, type GeneratorOptions } from './agent.js';
import { GenerateOutput } from './generate-schema.js';

const PASSAGES = [
  {
    chunk_id: 'README.md#0',
    source: 'README.md',
    text: 'Run npm start to launch the stack on one machine. The console listens on port 10011.',
  },
  { chunk_id: 'ops.md#1', source: 'ops.md', text: 'Logs are JSON lines on stdout.' },
];
const QUESTION = 'How do I start the stack?';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fake(opts: Parameters<typeof startFakeOllama>[0] = {}): Promise<FakeOllama> {
  const f = await startFakeOllama(opts);
  cleanups.push(() => f.close());
  return f;
}

function llmFor(url: string, env: Record<string, string> = {}): LlmClient {
  return testLlm(url, GENERATOR, env);
}

async function service(opts: GeneratorOptions = {}): Promise<TestService> {
  const svc = await startTestService(generatorDefinition(opts));
  cleanups.push(() => svc.close(100));
  return svc;
}

async function run(
  svc: TestService,
  input: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ rec: JobRecord; events: JobEvent[] }> {
  const res = await svc.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { kind: 'generate.answer', input, ...extra },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json<{ job_id: string }>().job_id;
  const until = Date.now() + 10_000;
  for (;;) {
    const rec = (await svc.app.inject(`/v1/jobs/${id}`)).json<JobRecord>();
    if (['succeeded', 'failed', 'cancelled', 'expired'].includes(rec.status)) {
      return { rec, events: await svc.backend.events.read(id, 0) };
    }
    if (Date.now() > until) throw new Error(`job still ${rec.status}`);
    await sleep(5);
  }
}

function tokenTexts(events: JobEvent[]): string[] {
  return events.filter((e) => e.type === 'token').map((e) => String(e.data.text));
}

describe('generate.answer with the model', () => {
  it('streams the deltas as token events, in order, and cites the given passages', async () => {
    const prompts: FakeOllamaPrompt[] = [];
    const ollama = await fake({
      // Tokens spaced as a model generates them: each reaches the stream as its own event.
      tokenDelayMs: 3,
      respond: (req) => {
        prompts.push(req);
        return 'Run npm start to launch the stack [README.md#0]. It also needs [ghost#9].';
      },
    });
    const svc = await service({
      llm: llmFor(ollama.url),
      model: 'tinyllama',
      temperature: 0.3,
      maxTokens: 300,
    });
    const { rec, events } = await run(svc, { question: QUESTION, passages: PASSAGES, max_tokens: 100 });
    expect(rec.status).toBe('succeeded');
    const out = GenerateOutput.parse(rec.result);
    expect(out).toMatchObject({
      answer: 'Run npm start to launch the stack [README.md#0]. It also needs [ghost#9].',
      mode: 'model',
      model: 'tinyllama',
      unknown_citations: ['ghost#9'],
      citations: [
        {
          chunk_id: 'README.md#0',
          source: 'README.md',
          quote: 'Run npm start to launch the stack on one machine.',
        },
      ],
    });
    expect(out.completion_tokens).toBeGreaterThan(5);
    expect(out.prompt_tokens).toBeGreaterThan(5);

    const tokens = tokenTexts(events);
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe(out.answer);
    expect(events.filter((e) => e.type === 'token').every((e) => e.data.mode === 'model')).toBe(true);
    const types = events.map((e) => e.type);
    expect(types.indexOf('step.started')).toBeLessThan(types.indexOf('token'));
    expect(types.lastIndexOf('token')).toBeLessThan(types.indexOf('step.completed'));
    expect(types.at(-1)).toBe('job.succeeded');

    const sent = prompts[0];
    expect(sent?.options).toMatchObject({ temperature: 0.3, num_predict: 100 });
    expect(sent?.messages?.[0]?.content).toMatch(/only the numbered passages/);
    expect(sent?.messages?.[1]?.content).toContain('Passage 1 (id: README.md#0; source: README.md)');
    expect(sent?.messages?.[1]?.content).toContain(`Question: ${QUESTION}`);
  });

  it('caps generation at MAX_TOKENS, whatever the request asks', async () => {
    const prompts: FakeOllamaPrompt[] = [];
    const ollama = await fake({ respond: (req) => (prompts.push(req), 'Run npm start [README.md#0].') });
    const svc = await service({ llm: llmFor(ollama.url), maxTokens: 64 });
    await run(svc, { question: QUESTION, passages: PASSAGES, max_tokens: 5000 });
    expect(prompts[0]?.options).toMatchObject({ num_predict: 64 });
  });

  it("puts the plan's style and steps and the verifier's feedback into the prompt", async () => {
    const prompts: FakeOllamaPrompt[] = [];
    const ollama = await fake({ respond: (req) => (prompts.push(req), '1. Run npm start [README.md#0].') });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec } = await run(svc, {
      question: QUESTION,
      passages: PASSAGES,
      plan: {
        answer_style: 'steps',
        steps: [{ id: 's1', action: 'read', description: 'Read the README', chunk_ids: ['README.md#0'] }],
      },
      feedback: ['Sentence 1 cites [ghost#9], which names no given passage.'],
    });
    expect(rec.status).toBe('succeeded');
    const system = prompts[0]?.messages?.[0]?.content ?? '';
    expect(system).toContain('numbered steps');
    expect(system).toContain('1. read: Read the README (passages README.md#0)');
    expect(system).toContain('- Sentence 1 cites [ghost#9], which names no given passage.');
  });

  it('answers without the model when there are no passages', async () => {
    const ollama = await fake();
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec, events } = await run(svc, { question: QUESTION, passages: [] });
    expect(rec.result).toMatchObject({
      mode: 'extractive',
      fallback_reason: 'no_passages',
      citations: [],
      answer: 'No source covers this question: no passages were given.',
    });
    expect(tokenTexts(events)).toEqual(['No source covers this question: no passages were given.']);
    expect(ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
  });
});

describe('generate.answer without a reachable model: extractive', () => {
  const extractive = 'Run npm start to launch the stack on one machine [README.md#0].';

  it('answers extractively when no model is configured', async () => {
    const svc = await service();
    const { rec, events } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec.result).toEqual({
      answer: extractive,
      citations: [
        {
          chunk_id: 'README.md#0',
          source: 'README.md',
          quote: 'Run npm start to launch the stack on one machine.',
        },
      ],
      mode: 'extractive',
      fallback_reason: 'no_model',
    });
    expect(tokenTexts(events).join('')).toBe(extractive);
    expect(events.find((e) => e.type === 'step.started')?.data).toMatchObject({
      mode: 'extractive',
      reason: 'no_model',
    });
  });

  it('falls back when the model server is down', async () => {
    const ollama = await fake();
    const llm = llmFor(ollama.url);
    await ollama.close();
    const svc = await service({ llm });
    const { rec, events } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(rec.result).toMatchObject({
      answer: extractive,
      mode: 'extractive',
      fallback_reason: 'model_unavailable',
    });
    expect(tokenTexts(events).join('')).toBe(extractive);
  });

  it('falls back when the model server answers with an error', async () => {
    const ollama = await fake({ failNext: { kind: 'status', status: 500, error: 'out of memory' } });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec.result).toMatchObject({ mode: 'extractive', fallback_reason: 'model_error' });
  });

  it('falls back mid-stream and marks the restart so readers drop the partial text', async () => {
    const ollama = await fake({
      respond: () => 'Run npm start to launch the stack [README.md#0].',
      failNext: { kind: 'error-mid-stream', afterTokens: 3 },
    });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec, events } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec.result).toMatchObject({
      answer: extractive,
      mode: 'extractive',
      fallback_reason: 'model_error',
    });
    const tokens = events.filter((e) => e.type === 'token');
    expect(tokens.map((e) => e.data.mode)).toEqual(['model', 'model', 'model', 'extractive']);
    const restart = events.findIndex((e) => e.type === 'step.started' && e.data.mode === 'extractive');
    expect(events[restart]?.data).toMatchObject({ restart: true, reason: 'model_error' });
    expect(events.findIndex((e) => e.data.mode === 'extractive' && e.type === 'token')).toBeGreaterThan(
      restart,
    );
  });

  it('falls back when the model returns an empty answer', async () => {
    const ollama = await fake({ respond: () => '' });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec.result).toMatchObject({ mode: 'extractive', fallback_reason: 'model_error' });
  });
});

describe('generate.answer deadline', () => {
  it('stops the model call when the deadline passes mid-stream, and the job ends expired', async () => {
    const ollama = await fake({ tokenDelayMs: 60, respond: () => 'word '.repeat(200).trim() });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec, events } = await run(svc, { question: QUESTION, passages: PASSAGES }, { deadline_ms: 500 });
    expect(rec.status).toBe('expired');
    expect(rec.error).toMatchObject({ code: 'deadline_exceeded' });
    const dropped = await ollama.waitForDisconnect();
    expect(dropped.path).toBe('/api/chat');
    expect(dropped.tokensSent).toBeLessThan(200);
    expect(events.at(-1)?.type).toBe('job.expired');
    expect(tokenTexts(events).length).toBeGreaterThan(0);
  });
});

describe('buildGenerator', () => {
  it('without OLLAMA_BASE_URL: no model, no readiness check', async () => {
    const built = buildGenerator(testRuntime({}, GENERATOR));
    expect(built.checks).toBeUndefined();
    expect(built.afterListen).toBeUndefined();
    expect(built.definition.kinds['generate.answer']).toBeDefined();
  });

  it('with OLLAMA_BASE_URL: not ready until the warm-up loaded the model, then answers with MODEL_ID', async () => {
    const ollama = await fake({
      models: ['tinyllama', 'qwen2:0.5b'],
      respond: () => 'Run npm start [README.md#0].',
    });
    const built = buildGenerator(
      testRuntime(
        { OLLAMA_BASE_URL: ollama.url, MODEL_ID: 'qwen2:0.5b', TEMPERATURE: '0.7', MAX_TOKENS: '77' },
        GENERATOR,
      ),
    );
    const svc = await startTestService(built.definition, { checks: built.checks ?? [] });
    cleanups.push(() => svc.close(100));
    const before = await svc.app.inject('/ready');
    expect(before.statusCode).toBe(503);
    expect(before.json<{ details: { failing: string[] } }>().details.failing).toEqual(['ollama']);
    await built.afterListen?.();
    expect((await svc.app.inject('/ready')).statusCode).toBe(200);
    const { rec } = await run(svc, { question: QUESTION, passages: PASSAGES });
    expect(rec.result).toMatchObject({ mode: 'model', model: 'qwen2:0.5b' });
    const chat = ollama.requests.find((r) => r.path === '/api/chat')?.body as {
      model: string;
      options: unknown;
    };
    expect(chat.model).toBe('qwen2:0.5b');
    expect(chat.options).toMatchObject({ temperature: 0.7, num_predict: 77 });
  });
});

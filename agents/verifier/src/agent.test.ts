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
import { VERIFIER, buildVerifier, verifierDefinition, type VerifierOptions } from './agent.js';
import { JUDGE_SCHEMA } from './model-judge.js';
import { VerifyOutput } from './verify-schema.js';

const PASSAGES = [
  {
    chunk_id: 'README.md#0',
    source: 'README.md',
    text: 'Run npm start to launch the whole stack on one machine. The console listens on port 10011.',
  },
];
const QUESTION = 'How do I start the stack?';
const SUPPORTED = 'Run npm start to launch the stack [README.md#0].';
const UNSUPPORTED = 'Run docker compose up to launch the stack in Kubernetes [README.md#0].';

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
  return testLlm(url, VERIFIER);
}

async function service(opts: VerifierOptions = {}): Promise<TestService> {
  const svc = await startTestService(verifierDefinition(opts));
  cleanups.push(() => svc.close(100));
  return svc;
}

async function run(
  svc: TestService,
  answer: string,
  extra: Record<string, unknown> = {},
): Promise<{ rec: JobRecord; out: VerifyOutput; events: JobEvent[] }> {
  const res = await svc.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { kind: 'verify.answer', input: { question: QUESTION, answer, passages: PASSAGES }, ...extra },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json<{ job_id: string }>().job_id;
  const until = Date.now() + 10_000;
  for (;;) {
    const rec = (await svc.app.inject(`/v1/jobs/${id}`)).json<JobRecord>();
    if (['succeeded', 'failed', 'cancelled', 'expired'].includes(rec.status)) {
      const out =
        rec.status === 'succeeded' ? VerifyOutput.parse(rec.result) : (undefined as unknown as VerifyOutput);
      return { rec, out, events: await svc.backend.events.read(id, 0) };
    }
    if (Date.now() > until) throw new Error(`job still ${rec.status}`);
    await sleep(5);
  }
}

const judgeSays =
  (verdict: { supported: boolean; reasons: string[] }, seen: FakeOllamaPrompt[] = []) =>
  (req: FakeOllamaPrompt): string => {
    seen.push(req);
    return JSON.stringify(verdict);
  };

describe('verify.answer, lexical judge (no model)', () => {
  it('passes a supported answer and fails an unsupported one, with step events', async () => {
    const svc = await service();
    const good = await run(svc, SUPPORTED);
    expect(good.out).toMatchObject({ verdict: 'pass', score: 1, judge: 'lexical', unknown_citations: [] });
    expect(good.events.map((e) => e.type)).toEqual([
      'job.queued',
      'job.started',
      'step.started',
      'step.completed',
      'job.succeeded',
    ]);
    const bad = await run(svc, UNSUPPORTED);
    expect(bad.out).toMatchObject({ verdict: 'fail', score: 0, judge: 'lexical' });
    expect(bad.out.reasons[0]).toContain('Sentence 1 ("Run docker compose up');
    expect(bad.out.reasons[0]).toContain('missing: docker, compose, kubernetes');
  });
});

describe('verify.answer with the model as judge', () => {
  it('asks for structured output and passes when both judges agree', async () => {
    const seen: FakeOllamaPrompt[] = [];
    const ollama = await fake({ respond: judgeSays({ supported: true, reasons: [] }, seen) });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { out } = await run(svc, SUPPORTED);
    expect(out).toMatchObject({ verdict: 'pass', judge: 'lexical+model', model: 'tinyllama', score: 1 });
    expect(out.reasons.at(-1)).toBe('Model judge: the answer is supported by the passages.');
    expect(seen[0]?.format).toEqual(JUDGE_SCHEMA);
    expect(seen[0]?.options).toMatchObject({ temperature: 0 });
    expect(seen[0]?.messages?.[1]?.content).toContain('[README.md#0] (README.md)');
    expect(seen[0]?.messages?.[1]?.content).toContain(`Answer:\n${SUPPORTED}`);
  });

  it('fails when the model finds the answer unsupported, even if the lexical check passes', async () => {
    const ollama = await fake({
      respond: judgeSays({ supported: false, reasons: ['"on one machine" is left out.'] }),
    });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { out } = await run(svc, SUPPORTED);
    expect(out).toMatchObject({ verdict: 'fail', judge: 'lexical+model', score: 1 });
    expect(out.reasons[0]).toBe('Model judge: "on one machine" is left out.');
  });

  it('fails when the lexical check fails, even if the model approves', async () => {
    const ollama = await fake({ respond: judgeSays({ supported: true, reasons: [] }) });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { out } = await run(svc, UNSUPPORTED);
    expect(out).toMatchObject({ verdict: 'fail', judge: 'lexical+model' });
  });

  it('falls back to the lexical check when the model reply is not valid JSON of the schema', async () => {
    for (const reply of ['not json at all', '{"verdict":"ok"}']) {
      const ollama = await fake({ respond: () => reply });
      const svc = await service({ llm: llmFor(ollama.url) });
      const { out } = await run(svc, SUPPORTED);
      expect(out).toMatchObject({ verdict: 'pass', judge: 'lexical' });
      expect(out.model).toBeUndefined();
      expect(out.reasons.at(-1)).toBe(
        'Model judge unavailable (model_error); the verdict rests on the lexical check alone.',
      );
    }
  });

  it('falls back to the lexical check when the model server is down', async () => {
    const ollama = await fake();
    const llm = llmFor(ollama.url);
    await ollama.close();
    const svc = await service({ llm });
    const { out } = await run(svc, UNSUPPORTED);
    expect(out).toMatchObject({ verdict: 'fail', judge: 'lexical' });
    expect(out.reasons.at(-1)).toBe(
      'Model judge unavailable (model_unavailable); the verdict rests on the lexical check alone.',
    );
  });

  it('does not ask the model when there is no claim to judge', async () => {
    const ollama = await fake();
    const svc = await service({ llm: llmFor(ollama.url) });
    const { out } = await run(svc, '');
    expect(out).toMatchObject({ verdict: 'fail', judge: 'lexical', reasons: ['The answer is empty.'] });
    expect(ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
  });

  it('stops the judge call when the deadline passes, and the job ends expired', async () => {
    const ollama = await fake({
      tokenDelayMs: 50,
      respond: () => JSON.stringify({ supported: true, reasons: ['x '.repeat(100)] }),
    });
    const svc = await service({ llm: llmFor(ollama.url) });
    const { rec } = await run(svc, SUPPORTED, { deadline_ms: 300 });
    expect(rec).toMatchObject({ status: 'expired', error: { code: 'deadline_exceeded' } });
    expect((await ollama.waitForDisconnect()).path).toBe('/api/chat');
  });
});

describe('buildVerifier', () => {
  const runtime = (env: Record<string, string>) => testRuntime(env, VERIFIER);

  it('without OLLAMA_BASE_URL: lexical only, no readiness check', () => {
    const built = buildVerifier(runtime({}));
    expect(built.checks).toBeUndefined();
    expect(built.afterListen).toBeUndefined();
  });

  it('with OLLAMA_BASE_URL: not ready until warmed up, then judges with MODEL_ID', async () => {
    const ollama = await fake({
      models: ['tinyllama', 'phi3:mini'],
      respond: judgeSays({ supported: true, reasons: [] }),
    });
    const built = buildVerifier(runtime({ OLLAMA_BASE_URL: ollama.url, MODEL_ID: 'phi3:mini' }));
    const svc = await startTestService(built.definition, { checks: built.checks ?? [] });
    cleanups.push(() => svc.close(100));
    expect((await svc.app.inject('/ready')).statusCode).toBe(503);
    await built.afterListen?.();
    expect((await svc.app.inject('/ready')).statusCode).toBe(200);
    const { out } = await run(svc, SUPPORTED);
    expect(out).toMatchObject({ verdict: 'pass', judge: 'lexical+model', model: 'phi3:mini' });
  });
});

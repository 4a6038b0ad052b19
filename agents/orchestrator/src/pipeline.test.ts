import { AgentError, deriveChildKey } from '@sutazai/agent-kit';
import { describe, expect, it } from 'vitest';
import {
  answerQuestion,
  enrichCitations,
  stepFailure,
  type AgentCaller,
  type CallOutcome,
  type CapabilityAgent,
} from './pipeline.js';
import { RagAnswerInput, RagAnswerOutput, type Passage } from './rag-schema.js';

const PASSAGES: Passage[] = [
  {
    chunk_id: 'a#0',
    document_id: 'doc-a',
    source: 'a.md',
    text: 'Run npm start to launch the stack.',
    score: 0.9,
  },
  { chunk_id: 'b#0', source: 'b.md', heading: 'Tests', text: 'Run npm test for the tests.', score: 0.5 },
];

type Handler = (input: Record<string, unknown>, step: string) => unknown;

interface Call {
  step: string;
  agent: CapabilityAgent;
  kind: string;
  input: Record<string, unknown>;
  key: string;
}

/**
 * A caller that behaves like the agents' job APIs under idempotency keys derived from the parent
 * job id and the step: a key that already succeeded returns the same job (no second execution).
 * `store` plays the agents' idempotency stores and outlives one orchestration run.
 */
class FakeCaller implements AgentCaller {
  readonly calls: Call[] = [];
  readonly executions = new Map<string, number>();
  readonly down = new Set<CapabilityAgent>();

  constructor(
    private readonly parentJobId: string,
    private readonly handlers: Record<string, Handler>,
    private readonly store = new Map<string, CallOutcome>(),
  ) {}

  async run(
    step: string,
    agent: CapabilityAgent,
    kind: string,
    input: Record<string, unknown>,
  ): Promise<CallOutcome> {
    const key = deriveChildKey(this.parentJobId, step);
    this.calls.push({ step, agent, kind, input, key });
    if (this.down.has(agent))
      throw new AgentError('dependency_unavailable', { detail: `${agent} unreachable` });
    const replayed = this.store.get(key);
    if (replayed) return replayed;
    this.executions.set(key, (this.executions.get(key) ?? 0) + 1);
    const handler = this.handlers[kind];
    if (!handler) throw new Error(`no handler for ${kind}`);
    const outcome = { output: await handler(input, step), jobId: `job-${key}`, ms: 3 };
    this.store.set(key, outcome);
    return outcome;
  }
}

/** Handlers of the four kinds; the verifier fails its first `failures` verifications. */
function handlers(failures = 0): Record<string, Handler> {
  let verified = 0;
  return {
    'retrieve.search': () => ({ passages: PASSAGES, embedder: 'hashing', store: 'memory' }),
    'plan.create': (input) => ({ plan: { goal: input.question, steps: [] }, planner: 'deterministic' }),
    'generate.answer': (_input, step) => ({
      answer: `Run npm start [a#0]. (${step})`,
      citations: [
        { chunk_id: 'a#0', source: 'a.md', quote: 'Run npm start' },
        { chunk_id: 'b#0', source: 'b.md' },
      ],
      mode: 'model',
      model: 'tinyllama',
    }),
    'verify.answer': () => {
      verified += 1;
      const fail = verified <= failures;
      return {
        verdict: fail ? 'fail' : 'pass',
        score: fail ? 0.2 : 0.9,
        reasons: fail ? [`reason ${verified}`] : [],
        sentences: [],
      };
    },
  };
}

const input = (over: Record<string, unknown> = {}): RagAnswerInput =>
  RagAnswerInput.parse({ question: 'How do I start the stack?', ...over });

describe('answerQuestion', () => {
  it('runs retrieve → plan → generate → verify with each step fed by the previous ones', async () => {
    const caller = new FakeCaller('p1', handlers());
    const out = await answerQuestion(input({ top_k: 7, document_ids: ['doc-a'] }), caller);

    expect(caller.calls.map((c) => [c.step, c.agent, c.kind])).toEqual([
      ['retrieve', 'retriever', 'retrieve.search'],
      ['plan', 'planner', 'plan.create'],
      ['generate#0', 'generator', 'generate.answer'],
      ['verify#0', 'verifier', 'verify.answer'],
    ]);
    const [retrieve, plan, generate, verify] = caller.calls;
    expect(retrieve?.input).toEqual({
      query: 'How do I start the stack?',
      top_k: 7,
      document_ids: ['doc-a'],
    });
    expect(plan?.input).toEqual({
      question: 'How do I start the stack?',
      context: [
        { chunk_id: 'a#0', source: 'a.md', text: 'Run npm start to launch the stack.', score: 0.9 },
        { chunk_id: 'b#0', source: 'b.md', text: 'Run npm test for the tests.', score: 0.5 },
      ],
    });
    expect(generate?.input).toEqual({
      question: 'How do I start the stack?',
      passages: PASSAGES,
      plan: { goal: 'How do I start the stack?', steps: [] },
    });
    expect(verify?.input).toMatchObject({ answer: 'Run npm start [a#0]. (generate#0)', passages: PASSAGES });
    expect(verify?.input.citations).toHaveLength(2);

    expect(RagAnswerOutput.parse(out)).toEqual(out);
    expect(out).toMatchObject({
      answer: 'Run npm start [a#0]. (generate#0)',
      verdict: { verdict: 'pass', score: 0.9, reasons: [] },
      plan: { goal: 'How do I start the stack?' },
      mode: 'model',
      model: 'tinyllama',
      regenerations: 0,
    });
    expect(out.steps).toEqual([
      { step: 'retrieve', agent: 'retriever', job_id: 'job-p1:retrieve', attempt: 0, ms: 3 },
      { step: 'plan', agent: 'planner', job_id: 'job-p1:plan', attempt: 0, ms: 3 },
      { step: 'generate', agent: 'generator', job_id: 'job-p1:generate#0', attempt: 0, ms: 3 },
      { step: 'verify', agent: 'verifier', job_id: 'job-p1:verify#0', attempt: 0, ms: 3 },
    ]);
  });

  it('omits document_ids from the search when the question names none', async () => {
    const caller = new FakeCaller('p1', handlers());
    await answerQuestion(input(), caller);
    expect(caller.calls[0]?.input).toEqual({ query: 'How do I start the stack?', top_k: 5 });
  });

  it('enriches citations with the document id and source of the passage they name', async () => {
    const out = await answerQuestion(input(), new FakeCaller('p1', handlers()));
    expect(out.citations).toEqual([
      { chunk_id: 'a#0', document_id: 'doc-a', source: 'a.md', quote: 'Run npm start' },
      // No quote from the generator: the cited passage is the quote; no document id known.
      { chunk_id: 'b#0', source: 'b.md', quote: 'Run npm test for the tests.' },
    ]);
  });

  it('regenerates once with the verifier’s reasons as feedback when verification fails', async () => {
    const caller = new FakeCaller('p1', handlers(1));
    const out = await answerQuestion(input(), caller);
    expect(caller.calls.map((c) => c.step)).toEqual([
      'retrieve',
      'plan',
      'generate#0',
      'verify#0',
      'generate#1',
      'verify#1',
    ]);
    expect(caller.calls[2]?.input).not.toHaveProperty('feedback');
    expect(caller.calls[4]?.input).toMatchObject({
      feedback: ['reason 1'],
      passages: PASSAGES,
      plan: { steps: [] },
    });
    expect(caller.calls[5]?.input).toMatchObject({ answer: 'Run npm start [a#0]. (generate#1)' });
    expect(out).toMatchObject({
      answer: 'Run npm start [a#0]. (generate#1)',
      regenerations: 1,
      verdict: { verdict: 'pass' },
    });
    expect(out.steps.map((s) => [s.step, s.attempt])).toEqual([
      ['retrieve', 0],
      ['plan', 0],
      ['generate', 0],
      ['verify', 0],
      ['generate', 1],
      ['verify', 1],
    ]);
  });

  it('stops at max_regenerations and returns the last answer with its failing verdict', async () => {
    const caller = new FakeCaller('p1', handlers(10));
    const out = await answerQuestion(input({ max_regenerations: 2 }), caller);
    expect(
      caller.calls.filter((c) => c.agent === 'generator').map((c) => [c.step, c.input.feedback]),
    ).toEqual([
      ['generate#0', undefined],
      ['generate#1', ['reason 1']],
      ['generate#2', ['reason 2']],
    ]);
    expect(out).toMatchObject({
      regenerations: 2,
      answer: 'Run npm start [a#0]. (generate#2)',
      verdict: { verdict: 'fail', reasons: ['reason 3'] },
    });
  });

  it('does not regenerate with max_regenerations 0', async () => {
    const caller = new FakeCaller('p1', handlers(1));
    const out = await answerQuestion(input({ max_regenerations: 0 }), caller);
    expect(caller.calls).toHaveLength(4);
    expect(out).toMatchObject({ regenerations: 0, verdict: { verdict: 'fail', reasons: ['reason 1'] } });
  });

  it('fails naming the step when a child fails, keeping its code and retryability, and stops the route', async () => {
    const h = handlers();
    h['generate.answer'] = () => {
      throw new AgentError('dependency_failed', {
        detail: 'generator job x failed (model_error: boom)',
        retryable: false,
        details: { job_id: 'x' },
      });
    };
    const caller = new FakeCaller('p1', h);
    const err = await answerQuestion(input(), caller).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({
      code: 'dependency_failed',
      retryable: false,
      message: 'step generate#0 (generator): generator job x failed (model_error: boom)',
      details: { step: 'generate#0', agent: 'generator', job_id: 'x' },
    });
    expect(caller.calls.map((c) => c.step)).toEqual(['retrieve', 'plan', 'generate#0']);
  });

  it('propagates a deadline as deadline_exceeded naming the step, not as a dependency failure', async () => {
    const h = handlers();
    h['plan.create'] = () => {
      throw new AgentError('deadline_exceeded', { detail: 'planner job y expired' });
    };
    const caller = new FakeCaller('p1', h);
    await expect(answerQuestion(input(), caller)).rejects.toMatchObject({
      code: 'deadline_exceeded',
      status: 504,
      retryable: false,
      message: 'step plan (planner): planner job y expired',
      details: { step: 'plan', agent: 'planner' },
    });
    expect(caller.calls.map((c) => c.step)).toEqual(['retrieve', 'plan']);
  });

  it('rejects a child output that breaks the kind contract as a non-retryable dependency failure', async () => {
    const h = handlers();
    h['verify.answer'] = () => ({ verdict: 'maybe', score: 2, reasons: [] });
    await expect(answerQuestion(input(), new FakeCaller('p1', h))).rejects.toMatchObject({
      code: 'dependency_failed',
      retryable: false,
      details: { step: 'verify#0', agent: 'verifier', job_id: 'job-p1:verify#0' },
      message: expect.stringMatching(
        /^step verify#0 \(verifier\): verify\.answer output breaks its contract: verdict: .*; score: /,
      ) as unknown,
    });
  });

  it('derives every key from the parent job id and step: a retried orchestration re-attaches instead of re-running', async () => {
    const store = new Map<string, CallOutcome>();
    const first = new FakeCaller('parent-1', handlers(1), store);
    first.down.add('verifier');
    await expect(answerQuestion(input(), first)).rejects.toMatchObject({
      code: 'dependency_unavailable',
      retryable: true,
      details: { step: 'verify#0' },
    });
    expect([...first.executions.keys()]).toEqual([
      'parent-1:retrieve',
      'parent-1:plan',
      'parent-1:generate#0',
    ]);

    // The engine retries the same parent job: same job id, so the same keys.
    const second = new FakeCaller('parent-1', handlers(1), store);
    const out = await answerQuestion(input(), second);
    expect(second.calls.map((c) => c.key)).toEqual([
      'parent-1:retrieve',
      'parent-1:plan',
      'parent-1:generate#0',
      'parent-1:verify#0',
      'parent-1:generate#1',
      'parent-1:verify#1',
    ]);
    // Steps that already ran were re-attached (same jobs), not executed again.
    expect([...second.executions.keys()]).toEqual([
      'parent-1:verify#0',
      'parent-1:generate#1',
      'parent-1:verify#1',
    ]);
    const executions = (key: string): number =>
      (first.executions.get(key) ?? 0) + (second.executions.get(key) ?? 0);
    for (const c of second.calls) expect(executions(c.key), c.key).toBe(1);
    expect(out.steps.slice(0, 3).map((s) => s.job_id)).toEqual([
      'job-parent-1:retrieve',
      'job-parent-1:plan',
      'job-parent-1:generate#0',
    ]);

    // Another parent job runs every step itself.
    const other = new FakeCaller('parent-2', handlers(), store);
    await answerQuestion(input(), other);
    expect([...other.executions.values()]).toEqual([1, 1, 1, 1]);
  });
});

describe('stepFailure', () => {
  it('wraps anything thrown, once', () => {
    const e = stepFailure('retrieve', 'retriever', new Error('socket hang up'));
    expect(e).toMatchObject({
      code: 'internal',
      message: 'step retrieve (retriever): socket hang up',
      details: { step: 'retrieve', agent: 'retriever' },
    });
    expect(stepFailure('retrieve', 'retriever', e)).toBe(e);
  });
});

describe('enrichCitations', () => {
  it('keeps a citation of an unknown chunk with what the generator said', () => {
    expect(enrichCitations([{ chunk_id: 'zz', source: 'z.md', quote: 'q' }], PASSAGES)).toEqual([
      { chunk_id: 'zz', source: 'z.md', quote: 'q' },
    ]);
    expect(enrichCitations([{ chunk_id: 'zz' }], [])).toEqual([{ chunk_id: 'zz', source: '', quote: '' }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentError, JobRecord, defineKind, type AgentDefinition } from '@sutazai/agent-kit';
import {
  closedPort,
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from '../backend/src/testing/fixtures/mesh-harness.js';
import { renderAnswer, runAsk } from './ask.js';

const PASSAGE = 'Run npm start to launch the stack on embedded defaults.';

/**
 * An orchestrator stand-in with the `rag.answer` shape: step events, streamed tokens, citations and
 * a verdict. A question containing "fail" fails; one containing "regenerate" generates twice;
 * "extractive" answers without a model.
 */
const ragAgent: AgentDefinition = {
  name: 'orchestrator',
  version: '0.0.1',
  capability: 'orchestrate',
  description: 'rag.answer stand-in for the ask command tests.',
  kinds: {
    'rag.answer': defineKind({
      description: 'Answers from one passage.',
      input: z.object({ question: z.string(), top_k: z.number().int().optional() }).strict(),
      output: z.record(z.string(), z.unknown()),
      example: { question: 'How do I start?' },
      handler: async (input, ctx) => {
        for (const [step, agent] of [
          ['retrieve', 'retriever'],
          ['plan', 'planner'],
        ] as const) {
          await ctx.emit('step.started', { step, agent });
          await ctx.emit('step.completed', { step, agent, ms: 4 });
        }
        if (input.question.includes('fail')) {
          throw new AgentError('dependency_failed', { detail: 'generate: model exploded', retryable: false });
        }
        const rounds = input.question.includes('regenerate')
          ? [
              ['Wrong', ' claim.'],
              ['Run', ' npm', ' start', ' [README.md#0].'],
            ]
          : [['Run', ' npm', ' start', ' [README.md#0].']];
        for (const [i, tokens] of rounds.entries()) {
          await ctx.emit('step.started', { step: `generate#${i}`, agent: 'generator', attempt: i + 1 });
          for (const t of tokens) await ctx.token(t, { step: 'generate' });
          await ctx.emit('step.completed', { step: `generate#${i}`, agent: 'generator', attempt: i + 1 });
          await ctx.emit('step.started', { step: 'verify', agent: 'verifier' });
          await ctx.emit('step.completed', { step: 'verify', agent: 'verifier' });
        }
        const extractive = input.question.includes('extractive');
        return {
          answer: 'Run npm start [README.md#0].',
          citations: [{ chunk_id: 'README.md#0', source: 'README.md', quote: PASSAGE }],
          verdict: {
            verdict: 'pass',
            score: 0.875,
            reasons: ['sentence 1 is supported by [README.md#0]'],
          },
          mode: extractive ? 'extractive' : 'model',
          ...(extractive ? {} : { model: 'tinyllama' }),
          regenerations: rounds.length - 1,
          top_k_seen: input.top_k ?? null,
        };
      },
    }),
  },
};

let agent: RunningAgent;
let m: RunningMesh;

beforeAll(async () => {
  agent = await startAgent('orchestrator', { definition: ragAgent });
  m = await startMesh({ orchestrator: agent.url });
});
afterAll(async () => {
  await m.close();
  await agent.close();
});

async function ask(
  argv: string[],
  env: NodeJS.ProcessEnv = { MESH_URL: m.url },
): Promise<{ code: number; out: string; err: string; writes: string[] }> {
  const writes: string[] = [];
  let err = '';
  const code = await runAsk(argv, {
    stdout: { write: (s: string) => writes.push(s) },
    stderr: { write: (s: string) => (err += s) },
    env,
  });
  return { code, out: writes.join(''), err, writes };
}

describe('npm run ask', () => {
  it('streams the tokens, then prints sources, verdict and model; progress goes to stderr', async () => {
    const r = await ask(['How', 'do', 'I', 'start?']);
    expect(r.code, r.err).toBe(0);
    // Each token is written as it arrives, before anything of the summary.
    const summaryAt = r.writes.findIndex((w) => w.includes('Sources:'));
    expect(r.writes.slice(0, summaryAt)).toEqual(
      expect.arrayContaining(['Run', ' npm', ' start', ' [README.md#0].']),
    );
    expect(r.out).toBe(
      [
        'Run npm start [README.md#0].',
        '',
        'Sources:',
        '  [1] README.md#0 (README.md)',
        `      "${PASSAGE}"`,
        'Verdict: pass (score 0.88)',
        '  - sentence 1 is supported by [README.md#0]',
        'Answered by: model tinyllama',
        '',
      ].join('\n'),
    );
    expect(r.err).toMatch(/^job orchestrator\.[0-9a-f-]{36} \(tenant default, trace [0-9a-f]{32}\)\n/);
    expect(r.err).toContain('→ retrieve (retriever)\n');
    expect(r.err).toContain('✓ plan (planner, 4 ms)\n');
    expect(r.err).toContain('→ verify (verifier)\n');
  });

  it('sends --tenant, --top-k and the question to the agent', async () => {
    const r = await ask(['--tenant', 'acme', '--top-k', '3', '--json', 'what is it?']);
    expect(r.code, r.err).toBe(0);
    const rec = JobRecord.parse(JSON.parse(r.out));
    expect(rec).toMatchObject({ tenant_id: 'acme', kind: 'rag.answer', status: 'succeeded' });
    expect(rec.job_id).toMatch(/^orchestrator\./);
    const upstream = await agent.service.engine.get('acme', rec.job_id.slice('orchestrator.'.length));
    expect(upstream.input).toEqual({ question: 'what is it?', top_k: 3 });
    expect(upstream.idempotency_key).toMatch(/^ask-/);
    expect(r.out).not.toContain('Sources:');
  });

  it('shows a regeneration and the final answer that replaced the first draft', async () => {
    const r = await ask(['please regenerate this']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("↻ regenerating with the verifier's feedback");
    expect(r.err).toContain('→ generate#1 (generator, attempt 2)');
    expect(r.out.startsWith('Wrong claim.\n\nRun npm start [README.md#0].\n')).toBe(true);
    expect(r.out).toContain('Regenerations: 1\n');
    expect(r.out).not.toContain('Final answer:');
  });

  it('labels an extractive answer as such', async () => {
    const r = await ask(['extractive please']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Answered by: extractive (quoted from the sources; no model answered)\n');
  });

  it('exits 1 with the error when the job fails', async () => {
    const r = await ask(['this will fail']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /job failed: dependency_failed — generate: model exploded \[trace [0-9a-f]{32}\]\n$/,
    );
    expect(r.out).not.toContain('Sources:');
  });

  it('exits 3 when the mesh refuses the request or cannot be reached', async () => {
    const refused = await ask(['--agent', 'nobody', 'q']);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/^the mesh refused the question: not_found: no agent named "nobody"/);
    const down = await ask(['q'], { MESH_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/^mesh unreachable at http:\/\/127\.0\.0\.1:\d+/);
  });

  it.each([[[]], [['--top-k', '0', 'q']], [['--bogus', 'q']], [['--timeout-s', 'soon', 'q']]])(
    'exits 2 with the usage for %j',
    async (argv) => {
      const r = await ask(argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain('usage: npm run ask --');
      expect(r.out).toBe('');
    },
  );
});

describe('renderAnswer', () => {
  it('prints the answer when nothing streamed, and says when no source was cited', () => {
    expect(renderAnswer({ answer: 'No source covers this.', citations: [], mode: 'extractive' }, '')).toBe(
      [
        'No source covers this.',
        '',
        'Sources: none cited',
        'Answered by: extractive (quoted from the sources; no model answered)',
        '',
      ].join('\n'),
    );
  });

  it('prints the final answer when it differs from what streamed', () => {
    const text = renderAnswer({ answer: 'B.', model: 'm' }, 'A.');
    expect(text.startsWith('\nFinal answer:\nB.\n')).toBe(true);
  });
});

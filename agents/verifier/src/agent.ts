import {
  buildWithModel,
  defineKind,
  isAgentError,
  type AgentDefinition,
  type AgentFactoryResult,
  type AgentRuntime,
  type JobContext,
  type LlmClient,
} from '@sutazai/agent-kit';
import { checkLexically } from './lexical-check.js';
import {
  DEFAULT_JUDGE_CHAR_BUDGET,
  judgeWithModel,
  type JudgeResult,
  type JudgeSettings,
} from './model-judge.js';
import { VerifyInput, VerifyOutput } from './verify-schema.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const VERIFIER = { agentName: 'verifier', port: 11004 } as const;

/** What the verifier is built with; without `llm` the verdict is the lexical check's alone. */
export interface VerifierOptions {
  llm?: LlmClient;
  /** Model of the judge calls (MODEL_ID); the client's default when omitted. */
  model?: string;
  /** Ceiling on the judge's reply tokens (MAX_TOKENS); default 512. */
  maxTokens?: number;
  /** Characters of passage text per judge prompt; default {@link DEFAULT_JUDGE_CHAR_BUDGET}. */
  judgeCharBudget?: number;
}

/** The model judge's outcome, or why it gave none. */
type JudgeOutcome = { result: JudgeResult } | { unavailable: string } | undefined;

async function consultJudge(
  input: VerifyInput,
  ctx: JobContext,
  settings: JudgeSettings,
): Promise<JudgeOutcome> {
  try {
    return { result: await judgeWithModel(input, settings, ctx.signal) };
  } catch (err) {
    if (ctx.signal.aborted || !isAgentError(err) || !['model_unavailable', 'model_error'].includes(err.code))
      throw err;
    ctx.log.warn({ err, code: err.code }, 'model judge failed; verdict from the lexical check alone');
    return { unavailable: err.code };
  }
}

async function verify(
  input: VerifyInput,
  ctx: JobContext,
  settings: JudgeSettings | undefined,
): Promise<VerifyOutput> {
  await ctx.emit('step.started', { step: 'verify', judge: settings ? 'lexical+model' : 'lexical' });
  const { claims, ...lexical } = checkLexically(input);
  // The model judges claims against passages; with neither there is nothing for it to add.
  const outcome: JudgeOutcome =
    settings && claims > 0 && input.passages.length > 0
      ? await consultJudge(input, ctx, settings)
      : undefined;
  let out: VerifyOutput;
  if (outcome && 'result' in outcome) {
    const { supported, reasons, model } = outcome.result;
    const judged = supported
      ? ['Model judge: the answer is supported by the passages.']
      : reasons.length
        ? reasons.map((r) => `Model judge: ${r}`)
        : ['Model judge: the answer is not supported by the passages.'];
    out = {
      ...lexical,
      verdict: lexical.verdict === 'pass' && supported ? 'pass' : 'fail',
      reasons: supported ? [...lexical.reasons, ...judged] : [...judged, ...lexical.reasons],
      judge: 'lexical+model',
      model,
    };
  } else {
    const note = outcome
      ? [`Model judge unavailable (${outcome.unavailable}); the verdict rests on the lexical check alone.`]
      : [];
    out = { ...lexical, reasons: [...lexical.reasons, ...note], judge: 'lexical' };
  }
  await ctx.emit('step.completed', {
    step: 'verify',
    verdict: out.verdict,
    score: out.score,
    judge: out.judge,
  });
  return out;
}

/** The verifier's definition: one kind, `verify.answer`. */
export function verifierDefinition(opts: VerifierOptions = {}): AgentDefinition {
  const settings: JudgeSettings | undefined = opts.llm && {
    llm: opts.llm,
    model: opts.model ?? opts.llm.model,
    maxTokens: opts.maxTokens ?? 512,
    charBudget: opts.judgeCharBudget ?? DEFAULT_JUDGE_CHAR_BUDGET,
  };
  return {
    name: VERIFIER.agentName,
    version: '0.1.0',
    capability: 'verify',
    description:
      'Checks an answer against the retrieved passages: citations exist, every claim is grounded; returns a verdict with reasons.',
    kinds: {
      'verify.answer': defineKind({
        description:
          'Verify that an answer is supported by the given passages and that its citations name them.',
        input: VerifyInput,
        output: VerifyOutput,
        example: {
          question: 'How do I start the stack?',
          answer: 'Run npm start to launch the stack on one machine [README.md#0].',
          citations: [
            {
              chunk_id: 'README.md#0',
              source: 'README.md',
              quote: 'Run npm start to launch the stack on one machine.',
            },
          ],
          passages: [
            {
              chunk_id: 'README.md#0',
              source: 'README.md',
              text: 'Run npm start to launch the stack on one machine. The console listens on port 10011.',
            },
          ],
        },
        handler: (input, ctx) => verify(input, ctx, settings),
      }),
    },
  };
}

/** Builds the verifier for a runtime (the kit's `runAgent` calls this): a model judge when a model is configured. */
export function buildVerifier(rt: AgentRuntime): AgentFactoryResult {
  return buildWithModel(rt, (llm) =>
    verifierDefinition({ ...(llm ? { llm } : {}), model: rt.config.modelId, maxTokens: rt.config.maxTokens }),
  );
}

import {
  buildWithModel,
  defineKind,
  type AgentDefinition,
  type AgentFactoryResult,
  type AgentRuntime,
  type JobContext,
  type LlmClient,
} from '@sutazai/agent-kit';
import { extractiveAnswer } from './extractive.js';
import { GenerateInput, GenerateOutput, type FallbackReason } from './generate-schema.js';
import { answerWithModel, fallbackReasonOf, type ModelSettings } from './model-answer.js';
import { DEFAULT_PASSAGE_CHAR_BUDGET } from './prompt.js';
import { TokenRelay } from './token-relay.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const GENERATOR = { agentName: 'generator', port: 11003 } as const;

/** What the generator is built with; without `llm` every answer is extractive. */
export interface GeneratorOptions {
  llm?: LlmClient;
  /** Model of the chat calls (MODEL_ID); the client's default when omitted. */
  model?: string;
  /** Sampling temperature (TEMPERATURE); default 0.2. */
  temperature?: number;
  /** Ceiling on generated tokens (MAX_TOKENS); default 512. */
  maxTokens?: number;
  /** Characters of passage text per prompt; default {@link DEFAULT_PASSAGE_CHAR_BUDGET}. */
  passageCharBudget?: number;
}

async function answerExtractively(
  input: GenerateInput,
  ctx: JobContext,
  reason: FallbackReason,
  restart: boolean,
): Promise<GenerateOutput> {
  // `restart` tells stream readers to discard the model's partial text streamed before it failed.
  await ctx.emit('step.started', {
    step: 'generate',
    mode: 'extractive',
    reason,
    ...(restart ? { restart: true } : {}),
  });
  const out = extractiveAnswer(input.question, input.passages);
  for (const piece of out.pieces) {
    if (ctx.signal.aborted) break;
    await ctx.token(piece, { mode: 'extractive' });
  }
  await ctx.emit('step.completed', { step: 'generate', mode: 'extractive', citations: out.citations.length });
  return { answer: out.answer, citations: out.citations, mode: 'extractive', fallback_reason: reason };
}

async function generate(
  input: GenerateInput,
  ctx: JobContext,
  settings: ModelSettings | undefined,
): Promise<GenerateOutput> {
  if (!settings) return answerExtractively(input, ctx, 'no_model', false);
  // The model can only say that nothing covers the question; saying so needs no model.
  if (input.passages.length === 0) return answerExtractively(input, ctx, 'no_passages', false);
  await ctx.emit('step.started', { step: 'generate', mode: 'model', model: settings.model });
  const relay = new TokenRelay((delta) => ctx.token(delta, { mode: 'model' }), ctx.signal);
  try {
    const out = await answerWithModel(input, settings, { signal: ctx.signal, onToken: relay.push });
    await relay.flush();
    await ctx.emit('step.completed', {
      step: 'generate',
      mode: 'model',
      model: out.model,
      citations: out.citations.length,
      ...(out.unknown_citations ? { unknown_citations: out.unknown_citations } : {}),
    });
    if (out.unknown_citations) {
      ctx.log.warn(
        { unknown_citations: out.unknown_citations },
        'model cited ids that name no given passage',
      );
    }
    return out;
  } catch (err) {
    const reason = fallbackReasonOf(err, ctx.signal);
    if (!reason) throw err;
    await relay.flush().catch(() => undefined);
    ctx.log.warn({ err, code: reason, streamed: relay.count }, 'model failed; answering extractively');
    return answerExtractively(input, ctx, reason, relay.count > 0);
  }
}

/** The generator's definition: one kind, `generate.answer`. */
export function generatorDefinition(opts: GeneratorOptions = {}): AgentDefinition {
  const settings: ModelSettings | undefined = opts.llm && {
    llm: opts.llm,
    model: opts.model ?? opts.llm.model,
    temperature: opts.temperature ?? 0.2,
    maxTokens: opts.maxTokens ?? 512,
    passageCharBudget: opts.passageCharBudget ?? DEFAULT_PASSAGE_CHAR_BUDGET,
  };
  return {
    name: GENERATOR.agentName,
    version: '0.1.0',
    capability: 'generate',
    description:
      'Answers a question from retrieved passages with the model (streamed, citing chunk ids), or extractively when no model is reachable.',
    kinds: {
      'generate.answer': defineKind({
        description: 'Answer a question from the given passages, citing the chunks used as [chunk_id].',
        input: GenerateInput,
        output: GenerateOutput,
        example: {
          question: 'How do I start the stack?',
          passages: [
            {
              chunk_id: 'README.md#0',
              source: 'README.md',
              text: 'Run npm start to launch the whole stack on one machine. The console listens on port 10011.',
            },
            {
              chunk_id: 'docs/testing.md#1',
              source: 'docs/testing.md',
              text: 'npm test runs every test group.',
            },
          ],
        },
        handler: (input, ctx) => generate(input, ctx, settings),
      }),
    },
  };
}

/** Builds the generator for a runtime (the kit's `runAgent` calls this): the model from config when one is set. */
export function buildGenerator(rt: AgentRuntime): AgentFactoryResult {
  return buildWithModel(rt, (llm) =>
    generatorDefinition({
      ...(llm ? { llm } : {}),
      model: rt.config.modelId,
      temperature: rt.config.temperature,
      maxTokens: rt.config.maxTokens,
    }),
  );
}

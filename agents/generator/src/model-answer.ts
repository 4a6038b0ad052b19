import { AgentError, isAgentError, type LlmClient } from '@sutazai/agent-kit';
import { citeAnswer } from './citations.js';
import type { FallbackReason, GenerateInput, GenerateOutput } from './generate-schema.js';
import { buildMessages } from './prompt.js';

/** How the generator calls its model (from MODEL_ID, TEMPERATURE and MAX_TOKENS). */
export interface ModelSettings {
  llm: LlmClient;
  model: string;
  temperature: number;
  /** Ceiling on generated tokens; a request's `max_tokens` can only lower it. */
  maxTokens: number;
  passageCharBudget: number;
}

/**
 * Answers with the model: one streamed chat call under the job's signal, each delta handed to
 * `onToken` as it arrives; citations parsed from the answer's `[chunk_id]` markers. An empty answer
 * is a `model_error`, like any other answer the model could not produce.
 */
export async function answerWithModel(
  input: GenerateInput,
  settings: ModelSettings,
  opts: { signal: AbortSignal; onToken: (delta: string) => void },
): Promise<GenerateOutput> {
  const result = await settings.llm.chat({
    model: settings.model,
    messages: buildMessages(input, settings.passageCharBudget),
    temperature: settings.temperature,
    maxTokens: Math.min(input.max_tokens ?? settings.maxTokens, settings.maxTokens),
    signal: opts.signal,
    onToken: opts.onToken,
  });
  const answer = result.text.trim();
  if (answer === '') {
    throw new AgentError('model_error', { detail: `model ${result.model} returned an empty answer` });
  }
  const { citations, unknown } = citeAnswer(answer, input.passages);
  return {
    answer,
    citations,
    mode: 'model',
    model: result.model,
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    ...(unknown.length > 0 ? { unknown_citations: unknown } : {}),
  };
}

/**
 * The fallback reason when a model failure should turn into an extractive answer: the model server
 * unreachable or erroring. Anything else (the job's deadline, a cancel, a bug) is not a reason.
 */
export function fallbackReasonOf(err: unknown, signal: AbortSignal): FallbackReason | undefined {
  if (signal.aborted || !isAgentError(err)) return undefined;
  return err.code === 'model_unavailable' || err.code === 'model_error' ? err.code : undefined;
}

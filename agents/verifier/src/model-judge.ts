import { AgentError, type ChatMessage, type LlmClient } from '@sutazai/agent-kit';
import { z } from 'zod';
import { truncateAtWord } from '@sutazai/agent-kit';
import type { VerifyInput } from './verify-schema.js';

/** The structured output the judge must produce (Ollama `format`). */
export const JUDGE_SCHEMA = {
  type: 'object',
  properties: {
    supported: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
  },
  required: ['supported', 'reasons'],
} as const;

const JudgeReply = z.object({ supported: z.boolean(), reasons: z.array(z.string()) });

/** Characters of passage text a judge prompt carries by default (sized for a 2048-token model). */
export const DEFAULT_JUDGE_CHAR_BUDGET = 5000;

/** What the model decided. */
export interface JudgeResult {
  supported: boolean;
  reasons: string[];
  model: string;
}

/** How the judge calls its model. */
export interface JudgeSettings {
  llm: LlmClient;
  model: string;
  maxTokens: number;
  charBudget: number;
}

const SYSTEM = [
  'You are a strict fact checker. Decide whether every statement in the answer is supported by the passages.',
  'A statement is supported only when a passage states it; outside knowledge does not count.',
  'Ids in square brackets, like [README.md#2], name the passage a statement claims to come from.',
  'An answer that says no passage covers the question is supported when that is true.',
  'Reply with JSON only: {"supported": true or false, "reasons": [strings]}. "supported" is true only when every statement is supported. Each reason names one unsupported statement and says why; give no reasons when everything is supported.',
].join('\n');

/** The judge's chat: instructions, then the passages (each cut to a fair share of the budget), question and answer. */
export function judgeMessages(input: VerifyInput, charBudget = DEFAULT_JUDGE_CHAR_BUDGET): ChatMessage[] {
  const kept = input.passages.slice(0, Math.max(1, Math.floor(charBudget / 200)));
  const share = Math.floor(charBudget / Math.max(1, kept.length));
  const blocks = kept.map(
    (p) => `[${p.chunk_id}]${p.source ? ` (${p.source})` : ''}\n${truncateAtWord(p.text, share)}`,
  );
  const user = `Passages:\n\n${blocks.join('\n\n')}\n\nQuestion: ${input.question.trim()}\n\nAnswer:\n${input.answer.trim()}`;
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user },
  ];
}

/**
 * Asks the model whether the answer is supported, with structured output at temperature 0. A reply
 * that is not JSON or does not match {@link JUDGE_SCHEMA} is a `model_error`, like a failed call.
 */
export async function judgeWithModel(
  input: VerifyInput,
  settings: JudgeSettings,
  signal: AbortSignal,
): Promise<JudgeResult> {
  const result = await settings.llm.chat({
    model: settings.model,
    messages: judgeMessages(input, settings.charBudget),
    format: JUDGE_SCHEMA,
    temperature: 0,
    maxTokens: settings.maxTokens,
    signal,
  });
  let value: unknown;
  try {
    value = JSON.parse(result.text);
  } catch (err) {
    throw new AgentError('model_error', { detail: `judge reply of ${result.model} is not JSON`, cause: err });
  }
  const reply = JudgeReply.safeParse(value);
  if (!reply.success) {
    throw new AgentError('model_error', {
      detail: `judge reply of ${result.model} does not match the schema`,
    });
  }
  const reasons = reply.data.reasons
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .slice(0, 10)
    .map((r) => truncateAtWord(r, 500));
  return { supported: reply.data.supported, reasons, model: result.model };
}

import type { ChatMessage } from '@sutazai/agent-kit';
import { z } from 'zod';
import type { GenerateInput, Passage } from './generate-schema.js';
import { truncateAtWord } from '@sutazai/agent-kit';

/**
 * Characters of passage text a prompt carries by default. The default model (tinyllama) has a
 * 2048-token context, about 8,000 characters; this leaves room for the instructions and the answer.
 */
export const DEFAULT_PASSAGE_CHAR_BUDGET = 6000;

/** Below this share a passage says too little to be worth its header; later passages are left out. */
export const MIN_PASSAGE_CHARS = 200;

/** A passage as it goes into the prompt. */
export interface FittedPassage {
  passage: Passage;
  text: string;
  truncated: boolean;
}

/**
 * Fits passage texts into a character budget, keeping the retriever's order (best first): as many
 * passages as can get {@link MIN_PASSAGE_CHARS} each, then the budget shared so that short passages
 * stay whole and the long ones split what is left evenly (cut at a word, marked with `…`).
 */
export function fitPassages(passages: readonly Passage[], budget: number): FittedPassage[] {
  const keep = passages.slice(0, Math.max(1, Math.floor(budget / MIN_PASSAGE_CHARS)));
  const lengths = keep.map((p) => p.text.trim().length);
  const share = new Array<number>(keep.length).fill(0);
  let open = keep.map((_, i) => i);
  let remaining = budget;
  while (open.length > 0) {
    const even = Math.floor(remaining / open.length);
    const whole = open.filter((i) => (lengths[i] ?? 0) <= even);
    if (whole.length === 0) {
      for (const i of open) share[i] = even;
      break;
    }
    for (const i of whole) {
      share[i] = lengths[i] ?? 0;
      remaining -= share[i];
    }
    open = open.filter((i) => !whole.includes(i));
  }
  return keep.map((passage, i) => {
    const text = passage.text.trim();
    const max = share[i] ?? 0;
    return text.length <= max
      ? { passage, text, truncated: false }
      : { passage, text: truncateAtWord(text, max), truncated: true };
  });
}

const PlanGuide = z.object({
  answer_style: z.enum(['short', 'paragraph', 'steps', 'list']).optional().catch(undefined),
  steps: z
    .array(
      z.object({ action: z.string(), description: z.string(), chunk_ids: z.array(z.string()).optional() }),
    )
    .optional()
    .catch(undefined),
});

const STYLE_RULE: Record<'short' | 'paragraph' | 'steps' | 'list', string> = {
  short: 'Answer in one to three sentences.',
  paragraph: 'Answer in one paragraph.',
  steps: 'Answer as numbered steps, one per line, each step ending with its citation.',
  list: 'Answer as a bulleted list, one item per line, each item ending with its citation.',
};

/** The system prompt: answer only from the numbered passages, cite their ids, follow the plan and feedback. */
export function systemPrompt(input: Pick<GenerateInput, 'plan' | 'feedback'>): string {
  const lines = [
    'You answer questions using only the numbered passages in the user message.',
    'Rules:',
    '- State only what the passages say. Do not use outside knowledge and do not guess.',
    '- End every sentence that uses a passage with that passage\'s id in square brackets, exactly as written after "id:", for example [README.md#2]. Cite only ids from the list.',
    '- If the passages do not answer the question, say that no source covers the question, and nothing else.',
  ];
  const plan = input.plan ? PlanGuide.safeParse(input.plan) : undefined;
  const style = plan?.success ? plan.data.answer_style : undefined;
  lines.push(`- ${style ? STYLE_RULE[style] : 'Be concise.'}`);
  const steps = plan?.success ? (plan.data.steps ?? []) : [];
  if (steps.length > 0) {
    lines.push('', 'Plan to follow:');
    steps.slice(0, 12).forEach((s, i) => {
      const ids = s.chunk_ids?.length ? ` (passages ${s.chunk_ids.slice(0, 8).join(', ')})` : '';
      lines.push(`${i + 1}. ${s.action}: ${truncateAtWord(s.description, 300)}${ids}`);
    });
  }
  const feedback = (input.feedback ?? []).map((f) => f.trim()).filter((f) => f !== '');
  if (feedback.length > 0) {
    lines.push(
      '',
      'A previous answer failed verification for these reasons. Write a new answer that fixes every one:',
    );
    for (const f of feedback) lines.push(`- ${truncateAtWord(f, 500)}`);
  }
  return lines.join('\n');
}

/** The user message: the numbered passages (fitted to the budget), then the question. */
export function userPrompt(question: string, fitted: readonly FittedPassage[]): string {
  const blocks = fitted.map(({ passage, text }, i) => {
    const where = [passage.source, passage.heading]
      .filter((s) => s !== undefined && s !== '')
      .join(' \u2014 ');
    return `Passage ${i + 1} (id: ${passage.chunk_id}${where ? `; source: ${where}` : ''})\n${text}`;
  });
  return `Passages:\n\n${blocks.join('\n\n')}\n\nQuestion: ${question.trim()}`;
}

/** The chat messages of a generation request. */
export function buildMessages(
  input: GenerateInput,
  passageCharBudget = DEFAULT_PASSAGE_CHAR_BUDGET,
): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(input) },
    { role: 'user', content: userPrompt(input.question, fitPassages(input.passages, passageCharBudget)) },
  ];
}

import { AgentError, type ChatMessage, type LlmClient } from '@sutazai/agent-kit';
import { z } from 'zod';
import { Plan, type PlanInput } from './plan-schema.js';

/** The Plan schema as JSON Schema, for the model's structured output (Ollama `format`). */
export const PLAN_JSON_SCHEMA: Record<string, unknown> = (() => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(Plan) as Record<string, unknown>;
  return schema;
})();

/** Characters of each passage the planning prompt shows: enough to see what it is about. */
export const PASSAGE_PREVIEW_CHARS = 300;

/** Most passages the planning prompt lists. */
export const MAX_PROMPT_PASSAGES = 12;

const SYSTEM = [
  'You plan how to answer a question from retrieved passages. You do not answer it.',
  'Reply with JSON only, matching the schema you are given:',
  '- goal: one sentence saying what the answer must achieve.',
  '- question_type: definition, how_to, comparison, list, yes_no, reason or factual.',
  '- answer_style: short, paragraph, steps or list.',
  '- keywords: the key terms of the question.',
  '- sub_questions: the question split into its parts (the question itself when it has one part).',
  '- needs_retrieval: true when the passages do not cover the question.',
  '- steps: ordered steps, each with an id, an action (retrieve, read, compare, enumerate, answer, verify), a description and the chunk_ids of the passages it uses (only ids from the list).',
].join('\n');

/** The planning chat: instructions, the passages (ids and previews), the question and the step limit. */
export function planMessages(input: PlanInput): ChatMessage[] {
  const passages = input.context.slice(0, MAX_PROMPT_PASSAGES).map((p) => {
    const text = p.text.replace(/\s+/g, ' ').trim();
    const preview =
      text.length > PASSAGE_PREVIEW_CHARS ? `${text.slice(0, PASSAGE_PREVIEW_CHARS - 1)}\u2026` : text;
    return `- id: ${p.chunk_id}${p.source ? ` (source: ${p.source})` : ''}\n  ${preview}`;
  });
  const user = [
    `Question: ${input.question}`,
    '',
    passages.length ? `Passages:\n${passages.join('\n')}` : 'Passages: none.',
    '',
    `Use at most ${input.max_steps} steps; end with an answer step and a verify step.`,
  ].join('\n');
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user },
  ];
}

/**
 * Makes a valid model plan consistent with its input: step ids renumbered `s1…sN`, chunk ids that
 * name no given passage dropped, and at most `max_steps` steps (the first ones and the last two,
 * which are the answer and verify steps of a well-formed plan).
 */
export function repairPlan(plan: Plan, input: PlanInput): Plan {
  const known = new Set(input.context.map((p) => p.chunk_id));
  const max = input.max_steps;
  const steps =
    plan.steps.length > max ? [...plan.steps.slice(0, max - 2), ...plan.steps.slice(-2)] : plan.steps;
  return {
    ...plan,
    steps: steps.map((s, i) => ({
      ...s,
      id: `s${i + 1}`,
      chunk_ids: [...new Set(s.chunk_ids.filter((id) => known.has(id)))],
    })),
  };
}

/**
 * Asks the model for a plan with structured output (the {@link Plan} schema), validates the reply
 * with zod and repairs it. A reply that is not JSON or does not match the schema is a `model_error`.
 */
export async function planWithModel(
  llm: LlmClient,
  input: PlanInput,
  opts: { model?: string; signal?: AbortSignal } = {},
): Promise<{ plan: Plan; model: string }> {
  const result = await llm.chat({
    ...(opts.model ? { model: opts.model } : {}),
    messages: planMessages(input),
    format: PLAN_JSON_SCHEMA,
    temperature: 0,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let value: unknown;
  try {
    value = JSON.parse(result.text);
  } catch (err) {
    throw new AgentError('model_error', { detail: `plan from ${result.model} is not JSON`, cause: err });
  }
  const parsed = Plan.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((i) => i.path.join('.') || '(root)');
    throw new AgentError('model_error', {
      detail: `plan from ${result.model} does not match the schema`,
      details: { paths: where },
    });
  }
  return { plan: repairPlan(parsed.data, input), model: result.model };
}

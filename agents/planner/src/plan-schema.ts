import { z } from 'zod';

/** A passage handed to the planner (from the retriever). */
export const ContextPassage = z.object({
  chunk_id: z.string().min(1).max(256),
  source: z.string().max(1024).default(''),
  text: z.string().max(20_000),
  score: z.number().optional(),
});

/** Input of `plan.create`. */
export const PlanInput = z
  .object({
    question: z.string().trim().min(1).max(4000),
    context: z.array(ContextPassage).max(50).default([]),
    max_steps: z.number().int().min(2).max(12).default(6),
  })
  .strict();
export type PlanInput = z.infer<typeof PlanInput>;

/** What kind of answer the question wants. */
export const QuestionType = z.enum([
  'definition',
  'how_to',
  'comparison',
  'list',
  'yes_no',
  'reason',
  'factual',
]);
export type QuestionType = z.infer<typeof QuestionType>;

/** One step of a plan. */
export const PlanStep = z.object({
  id: z.string(),
  action: z.enum(['retrieve', 'read', 'compare', 'enumerate', 'answer', 'verify']),
  description: z.string(),
  chunk_ids: z.array(z.string()),
});
export type PlanStep = z.infer<typeof PlanStep>;

/** The structured plan. */
export const Plan = z.object({
  goal: z.string(),
  question_type: QuestionType,
  answer_style: z.enum(['short', 'paragraph', 'steps', 'list']),
  keywords: z.array(z.string()),
  sub_questions: z.array(z.string()),
  needs_retrieval: z.boolean(),
  steps: z.array(PlanStep).min(1),
});
export type Plan = z.infer<typeof Plan>;

/** Output of `plan.create`. */
export const PlanOutput = z.object({
  plan: Plan,
  planner: z.enum(['deterministic', 'model']),
  model: z.string().optional(),
});
export type PlanOutput = z.infer<typeof PlanOutput>;

import { Passage } from '@sutazai/agent-kit';
import { z } from 'zod';

export { Passage };

/** Input of `generate.answer`. */
export const GenerateInput = z
  .object({
    question: z.string().trim().min(1).max(4000),
    passages: z.array(Passage).max(30).default([]),
    plan: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("The planner's plan; its answer_style and steps guide the answer"),
    feedback: z
      .array(z.string().max(2000))
      .max(20)
      .optional()
      .describe('Reasons a previous answer failed verification; the new answer must address them'),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(131_072)
      .optional()
      .describe('Cap on generated tokens; lowers MAX_TOKENS, never raises it'),
  })
  .strict();
export type GenerateInput = z.infer<typeof GenerateInput>;

/** A passage the answer cites, with the sentence of it that best matches the citing sentence. */
export const Citation = z.object({
  chunk_id: z.string(),
  source: z.string(),
  quote: z.string().max(300),
});
export type Citation = z.infer<typeof Citation>;

/** Why an answer is extractive: no model configured, nothing to answer from, or the model failed. */
export const FallbackReason = z.enum(['no_model', 'no_passages', 'model_unavailable', 'model_error']);
export type FallbackReason = z.infer<typeof FallbackReason>;

/** Output of `generate.answer`. */
export const GenerateOutput = z.object({
  answer: z.string(),
  citations: z.array(Citation),
  mode: z.enum(['model', 'extractive']),
  model: z.string().optional(),
  prompt_tokens: z.number().int().min(0).optional(),
  completion_tokens: z.number().int().min(0).optional(),
  unknown_citations: z
    .array(z.string())
    .optional()
    .describe('Bracketed ids in the model answer that name no given passage (dropped from citations)'),
  fallback_reason: FallbackReason.optional().describe(
    'Set when mode is extractive: why the model was not used',
  ),
});
export type GenerateOutput = z.infer<typeof GenerateOutput>;

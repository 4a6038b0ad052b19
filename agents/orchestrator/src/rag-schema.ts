import { Passage } from '@sutazai/agent-kit';
import { z } from 'zod';

export { Passage };

/** Input of `rag.answer`. */
export const RagAnswerInput = z
  .object({
    question: z.string().trim().min(1).max(4000),
    // The generator takes at most 30 passages, so retrieving more would only be thrown away.
    top_k: z.number().int().min(1).max(30).default(5),
    document_ids: z.array(z.string().min(1).max(256)).max(100).optional(),
    max_regenerations: z.number().int().min(0).max(2).default(1),
  })
  .strict();
export type RagAnswerInput = z.infer<typeof RagAnswerInput>;

/** The capability steps of the route, as they appear in the result's `steps`. */
export const StepName = z.enum(['retrieve', 'plan', 'generate', 'verify']);
export type StepName = z.infer<typeof StepName>;

/** One finished step of an orchestration. */
export const StepRecord = z.object({
  step: StepName,
  agent: z.string(),
  job_id: z.string(),
  /** 0 on the first pass; n on the n-th regeneration (the `#n` of the step's idempotency key). */
  attempt: z.number().int().min(0),
  ms: z.number().min(0),
});
export type StepRecord = z.infer<typeof StepRecord>;

/** A citation of the answer, with the document it comes from. */
export const AnswerCitation = z.object({
  chunk_id: z.string(),
  document_id: z.string().optional(),
  source: z.string(),
  quote: z.string(),
});
export type AnswerCitation = z.infer<typeof AnswerCitation>;

/** Output of `rag.answer`. */
export const RagAnswerOutput = z.object({
  answer: z.string(),
  citations: z.array(AnswerCitation),
  verdict: z.object({
    verdict: z.enum(['pass', 'fail']),
    score: z.number().min(0).max(1),
    reasons: z.array(z.string()),
  }),
  plan: z.record(z.string(), z.unknown()),
  mode: z.enum(['model', 'extractive']),
  model: z.string().optional(),
  regenerations: z.number().int().min(0),
  steps: z.array(StepRecord),
});
export type RagAnswerOutput = z.infer<typeof RagAnswerOutput>;

// What the orchestrator reads from each capability agent's output. Loose objects: an agent may add
// fields without breaking its callers.

/** The part of `retrieve.search`'s output the route uses. */
export const RetrieveOutput = z.looseObject({ passages: z.array(Passage) });
export type RetrieveOutput = z.infer<typeof RetrieveOutput>;

/** The part of `plan.create`'s output the route uses. */
export const PlanOutput = z.looseObject({ plan: z.record(z.string(), z.unknown()) });
export type PlanOutput = z.infer<typeof PlanOutput>;

/** The part of `generate.answer`'s output the route uses. */
export const GenerateOutput = z.looseObject({
  answer: z.string(),
  citations: z.array(
    z.object({ chunk_id: z.string(), source: z.string().optional(), quote: z.string().optional() }),
  ),
  mode: z.enum(['model', 'extractive']),
  model: z.string().optional(),
});
export type GenerateOutput = z.infer<typeof GenerateOutput>;

/** The part of `verify.answer`'s output the route uses. */
export const VerifyOutput = z.looseObject({
  verdict: z.enum(['pass', 'fail']),
  score: z.number().min(0).max(1),
  reasons: z.array(z.string()),
});
export type VerifyOutput = z.infer<typeof VerifyOutput>;

import { Passage } from '@sutazai/agent-kit';
import { z } from 'zod';

export { Passage };

/** A citation the generator returned with its answer. */
export const CitationRef = z.object({
  chunk_id: z.string().min(1).max(256),
  source: z.string().max(1024).optional(),
  quote: z.string().max(2000).optional(),
});
export type CitationRef = z.infer<typeof CitationRef>;

/** Input of `verify.answer`. */
export const VerifyInput = z
  .object({
    question: z.string().trim().min(1).max(4000),
    answer: z.string().max(20_000),
    citations: z.array(CitationRef).max(200).default([]),
    passages: z.array(Passage).max(50).default([]),
  })
  .strict();
export type VerifyInput = z.infer<typeof VerifyInput>;

/** The check of one answer sentence. */
export const SentenceCheck = z.object({
  text: z.string(),
  /** Whether the sentence holds up (always true for sentences that are not checked). */
  supported: z.boolean(),
  /** Known passages the sentence cites. */
  chunk_ids: z.array(z.string()),
  /** Share of the sentence's distinct content stems found in the passage(s) it was checked against. */
  overlap: z.number().min(0).max(1),
  /** False for sentences with no content words (nothing to check); they do not count in the score. */
  checked: z.boolean(),
});
export type SentenceCheck = z.infer<typeof SentenceCheck>;

/** Who decided the verdict. */
export const Judge = z.enum(['lexical', 'model', 'lexical+model']);
export type Judge = z.infer<typeof Judge>;

/** Output of `verify.answer`. */
export const VerifyOutput = z.object({
  verdict: z.enum(['pass', 'fail']),
  score: z.number().min(0).max(1).describe('Share of the checked sentences that are supported'),
  reasons: z.array(z.string()),
  sentences: z.array(SentenceCheck),
  unknown_citations: z.array(z.string()),
  judge: Judge,
  model: z.string().optional().describe('The model that judged, when one did'),
});
export type VerifyOutput = z.infer<typeof VerifyOutput>;

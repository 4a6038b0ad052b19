import { z } from 'zod';

/**
 * A retrieved passage as it travels between the pipeline's agents (retriever → planner,
 * generator, verifier → orchestrator). Answers cite it by `chunk_id`.
 */
export const Passage = z.object({
  chunk_id: z.string().min(1).max(256),
  document_id: z.string().max(256).optional(),
  source: z.string().max(1024).default(''),
  heading: z.string().max(1024).optional(),
  text: z.string().max(20_000),
  score: z.number().optional(),
});
export type Passage = z.infer<typeof Passage>;

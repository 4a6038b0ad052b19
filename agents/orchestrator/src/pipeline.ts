import { AgentError, toAgentError } from '@sutazai/agent-kit';
import type { z } from 'zod';
import {
  GenerateOutput,
  PlanOutput,
  RetrieveOutput,
  VerifyOutput,
  type AnswerCitation,
  type Passage,
  type RagAnswerInput,
  type RagAnswerOutput,
  type StepName,
  type StepRecord,
} from './rag-schema.js';

/** The capability agents the route calls, by name. */
export const CAPABILITY_AGENTS = ['retriever', 'planner', 'generator', 'verifier'] as const;
/** One of {@link CAPABILITY_AGENTS}. */
export type CapabilityAgent = (typeof CAPABILITY_AGENTS)[number];

/** What one child job came back with. */
export interface CallOutcome {
  /** The child job's result (validated by the route against the kind's contract). */
  output: unknown;
  jobId: string;
  /** Wall time of the call, submission to terminal record. */
  ms: number;
}

/**
 * Runs one capability job for the route. `step` names the call (`retrieve`, `plan`, `generate#0`,
 * `verify#0`, `generate#1`, …) and is what the idempotency key is derived from. Throws an
 * AgentError when the job cannot be run or does not succeed.
 */
export interface AgentCaller {
  run(
    step: string,
    agent: CapabilityAgent,
    kind: string,
    input: Record<string, unknown>,
  ): Promise<CallOutcome>;
}

/** One step of the route: who does it, which kind, and what its output must look like. */
export interface StepDef<O> {
  readonly name: StepName;
  readonly agent: CapabilityAgent;
  readonly kind: string;
  readonly output: z.ZodType<O>;
  /** Steps that run again on regeneration carry the pass number in their id (`generate#1`). */
  readonly repeats: boolean;
}

/** The route: retrieve → plan → generate → verify, then (generate → verify) again while verification fails. */
export const ROUTE = {
  retrieve: {
    name: 'retrieve',
    agent: 'retriever',
    kind: 'retrieve.search',
    output: RetrieveOutput,
    repeats: false,
  },
  plan: { name: 'plan', agent: 'planner', kind: 'plan.create', output: PlanOutput, repeats: false },
  generate: {
    name: 'generate',
    agent: 'generator',
    kind: 'generate.answer',
    output: GenerateOutput,
    repeats: true,
  },
  verify: { name: 'verify', agent: 'verifier', kind: 'verify.answer', output: VerifyOutput, repeats: true },
} as const satisfies Record<StepName, StepDef<unknown>>;

/** The id of a step's call on pass `attempt`: the suffix of its idempotency key. */
export function stepId(def: Pick<StepDef<unknown>, 'name' | 'repeats'>, attempt: number): string {
  return def.repeats ? `${def.name}#${attempt}` : def.name;
}

/**
 * Answers a question through the capability agents: retrieves passages, plans, generates an answer
 * and verifies it; when verification fails, generates again with the verifier's reasons as feedback,
 * at most `max_regenerations` times. The last answer is returned with its verdict, pass or fail.
 */
export async function answerQuestion(input: RagAnswerInput, caller: AgentCaller): Promise<RagAnswerOutput> {
  const steps: StepRecord[] = [];
  const run = <O>(def: StepDef<O>, attempt: number, stepInput: Record<string, unknown>): Promise<O> =>
    runStep(caller, steps, def, attempt, stepInput);

  const { passages } = await run(ROUTE.retrieve, 0, {
    query: input.question,
    top_k: input.top_k,
    ...(input.document_ids ? { document_ids: input.document_ids } : {}),
  });
  const { plan } = await run(ROUTE.plan, 0, {
    question: input.question,
    context: passages.map((p) => ({
      chunk_id: p.chunk_id,
      source: p.source,
      text: p.text,
      ...(p.score === undefined ? {} : { score: p.score }),
    })),
  });

  let feedback: string[] | undefined;
  for (let attempt = 0; ; attempt++) {
    const generated = await run(ROUTE.generate, attempt, {
      question: input.question,
      passages,
      plan,
      ...(feedback ? { feedback } : {}),
    });
    const verified = await run(ROUTE.verify, attempt, {
      question: input.question,
      answer: generated.answer,
      citations: generated.citations,
      passages,
    });
    if (verified.verdict === 'pass' || attempt >= input.max_regenerations) {
      return {
        answer: generated.answer,
        citations: enrichCitations(generated.citations, passages),
        verdict: { verdict: verified.verdict, score: verified.score, reasons: verified.reasons },
        plan,
        mode: generated.mode,
        ...(generated.model === undefined ? {} : { model: generated.model }),
        regenerations: attempt,
        steps,
      };
    }
    feedback = verified.reasons;
  }
}

/** Runs one step through the caller, checks its output against the kind's contract and records it. */
async function runStep<O>(
  caller: AgentCaller,
  steps: StepRecord[],
  def: StepDef<O>,
  attempt: number,
  input: Record<string, unknown>,
): Promise<O> {
  const id = stepId(def, attempt);
  let outcome: CallOutcome;
  try {
    outcome = await caller.run(id, def.agent, def.kind, input);
  } catch (err) {
    throw stepFailure(id, def.agent, err);
  }
  const parsed = def.output.safeParse(outcome.output);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AgentError('dependency_failed', {
      detail: `step ${id} (${def.agent}): ${def.kind} output breaks its contract: ${issues}`,
      retryable: false,
      details: { step: id, agent: def.agent, job_id: outcome.jobId },
    });
  }
  steps.push({ step: def.name, agent: def.agent, job_id: outcome.jobId, attempt, ms: outcome.ms });
  return parsed.data;
}

/** The caller's error, kept as it is (code, retryable) but naming the step and agent. */
export function stepFailure(step: string, agent: CapabilityAgent, err: unknown): AgentError {
  const e = toAgentError(err);
  if (e.details?.step === step) return e;
  return new AgentError(e.code, {
    detail: `step ${step} (${agent}): ${e.message}`,
    retryable: e.retryable,
    details: { ...e.details, step, agent },
    cause: e,
    ...(e.retryAfterS === undefined ? {} : { retryAfterS: e.retryAfterS }),
  });
}

/** The generator's citations with the document id and source of the passage each one names. */
export function enrichCitations(
  citations: GenerateOutput['citations'],
  passages: readonly Passage[],
): AnswerCitation[] {
  const byId = new Map(passages.map((p) => [p.chunk_id, p]));
  return citations.map((c) => {
    const p = byId.get(c.chunk_id);
    return {
      chunk_id: c.chunk_id,
      ...(p?.document_id === undefined ? {} : { document_id: p.document_id }),
      source: p?.source ?? c.source ?? '',
      quote: c.quote ?? p?.text ?? '',
    };
  });
}

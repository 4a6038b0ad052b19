import {
  buildWithModel,
  defineKind,
  isAgentError,
  type AgentDefinition,
  type AgentRuntime,
  type AgentFactoryResult,
  type JobContext,
  type LlmClient,
} from '@sutazai/agent-kit';
import { planDeterministically } from './deterministic-planner.js';
import { planWithModel } from './model-planner.js';
import { PlanInput, PlanOutput } from './plan-schema.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const PLANNER = { agentName: 'planner', port: 11002 } as const;

/** What the planner is built with; without `llm` every plan is deterministic. */
export interface PlannerOptions {
  llm?: LlmClient;
  /** Model of the planning calls (MODEL_ID); the client's default when omitted. */
  model?: string;
}

/** The model's plan when a model is configured and answers with a valid one; otherwise the deterministic plan. */
async function createPlan(input: PlanInput, ctx: JobContext, opts: PlannerOptions): Promise<PlanOutput> {
  if (opts.llm) {
    await ctx.emit('step.started', { step: 'plan', planner: 'model' });
    try {
      const { plan, model } = await planWithModel(opts.llm, input, {
        ...(opts.model ? { model: opts.model } : {}),
        signal: ctx.signal,
      });
      await ctx.emit('step.completed', { step: 'plan', planner: 'model', model, steps: plan.steps.length });
      return { plan, planner: 'model', model };
    } catch (err) {
      // The deadline or a cancel ends the job; a model that is down or answers badly does not.
      if (
        ctx.signal.aborted ||
        !isAgentError(err) ||
        !['model_unavailable', 'model_error'].includes(err.code)
      )
        throw err;
      ctx.log.warn({ err, code: err.code }, 'model plan failed; planning deterministically');
    }
  }
  await ctx.emit('step.started', { step: 'plan', planner: 'deterministic' });
  const plan = planDeterministically(input);
  await ctx.emit('step.completed', { step: 'plan', steps: plan.steps.length });
  return { plan, planner: 'deterministic' as const };
}

/** The planner's definition: one kind, `plan.create`. */
export function plannerDefinition(opts: PlannerOptions = {}): AgentDefinition {
  return {
    name: PLANNER.agentName,
    version: '0.1.0',
    capability: 'plan',
    description: 'Turns a question and retrieved context into a structured, step-by-step answer plan.',
    kinds: {
      'plan.create': defineKind({
        description: 'Plan how to answer a question from the given passages.',
        input: PlanInput,
        output: PlanOutput,
        example: {
          question: 'How do I start the stack and run the tests?',
          context: [
            {
              chunk_id: 'README.md#0',
              source: 'README.md',
              text: 'Run npm start to start the stack; npm test runs the tests.',
            },
          ],
          max_steps: 6,
        },
        handler: (input, ctx) => createPlan(input, ctx, opts),
      }),
    },
  };
}

/** Builds the planner for a runtime (the kit's `runAgent` calls this): the model path when a model is configured. */
export function buildPlanner(rt: AgentRuntime): AgentFactoryResult {
  return buildWithModel(rt, (llm) => plannerDefinition(llm ? { llm, model: rt.config.modelId } : {}));
}

import {
  defineKind,
  type AgentDefinition,
  type AgentRuntime,
  type AgentFactoryResult,
} from '@sutazai/agent-kit';
import { planDeterministically } from './deterministic-planner.js';
import { PlanInput, PlanOutput } from './plan-schema.js';

/** This agent's name and default port (reserved in agents/PortRegistry.md). */
export const PLANNER = { agentName: 'planner', port: 11002 } as const;

/** The planner's definition: one kind, `plan.create`. */
export function plannerDefinition(): AgentDefinition {
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
        handler: async (input, ctx) => {
          await ctx.emit('step.started', { step: 'plan', planner: 'deterministic' });
          const plan = planDeterministically(input);
          await ctx.emit('step.completed', { step: 'plan', steps: plan.steps.length });
          return { plan, planner: 'deterministic' as const };
        },
      }),
    },
  };
}

/** Builds the planner for a runtime (the kit's `runAgent` calls this). */
export function buildPlanner(_rt: AgentRuntime): AgentFactoryResult {
  return { definition: plannerDefinition() };
}

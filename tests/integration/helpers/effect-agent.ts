/**
 * An agent whose one kind has a side effect outside the process, for the crash tests: every run
 * counts an execution in Redis, and the effect itself is written with SET NX keyed by the job id,
 * so however often the job is delivered the effect happens once (effectively-once).
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { defineKind, type AgentDefinition } from '../../../agents/common/src/service/agent-definition.js';

/** Name of the agent (its queue is `agent.effects`). */
export const EFFECT_AGENT = 'effects';

/** Where the effect agent keeps its counters, per job. */
export function effectKeys(
  prefix: string,
  jobId: string,
): { executions: string; effect: string; applied: string } {
  return {
    executions: `${prefix}:probe:executions:${jobId}`,
    effect: `${prefix}:probe:effect:${jobId}`,
    applied: `${prefix}:probe:applied:${jobId}`,
  };
}

/** The agent, talking to Redis at `url`; `close` ends its connection. */
export function createEffectAgent(
  url: string,
  prefix: string,
): { definition: AgentDefinition; close: () => void } {
  const redis = new Redis(url);
  const definition: AgentDefinition = {
    name: EFFECT_AGENT,
    version: '1.0.0',
    capability: 'test',
    description: 'Writes one guarded side effect per job.',
    kinds: {
      effect: defineKind({
        description: 'Counts the run, applies the effect once, and on request hangs on its first run.',
        input: z.object({ hang_first_run: z.boolean() }),
        output: z.object({ executions: z.number(), applied_here: z.boolean() }),
        example: { hang_first_run: false },
        handler: async (input, ctx) => {
          const keys = effectKeys(prefix, ctx.jobId);
          const executions = await redis.incr(keys.executions);
          const applied = (await redis.set(keys.effect, `attempt ${ctx.attempt}`, 'NX')) === 'OK';
          if (applied) await redis.incr(keys.applied);
          // Stuck after the effect and before the acknowledgement: the worst moment to die.
          if (input.hang_first_run && executions === 1) await new Promise<never>(() => undefined);
          return { executions, applied_here: applied };
        },
      }),
    },
  };
  return { definition, close: () => redis.disconnect() };
}

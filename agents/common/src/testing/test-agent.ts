import { z } from 'zod';
import { AgentError } from '../contract/errors.js';
import { defineKind, type AgentDefinition } from '../service/agent-definition.js';
import { sleep } from '../util/sleep.js';

/** Waits `ms` unless the signal aborts first. */
export { sleep };

/** Side effects of the test agent, to count executions (effectively-once checks). */
export interface TestAgentProbe {
  executions: Map<string, number>;
  started: string[];
}

/**
 * An agent for testing the kit and backends: `echo`, `sleep`, `flaky` (fails a given number of
 * times), `fail` (retryable or not), `stream` (emits token events) and `bad-output`.
 */
export function createTestAgent(probe: TestAgentProbe = { executions: new Map(), started: [] }): {
  definition: AgentDefinition;
  probe: TestAgentProbe;
} {
  const count = (jobId: string): number => {
    const n = (probe.executions.get(jobId) ?? 0) + 1;
    probe.executions.set(jobId, n);
    probe.started.push(jobId);
    return n;
  };
  const definition: AgentDefinition = {
    name: 'testagent',
    version: '1.0.0',
    capability: 'test',
    description: 'Exercises the job engine.',
    kinds: {
      echo: defineKind({
        description: 'Returns its input.',
        input: z.object({ message: z.string().max(10_000) }).strict(),
        output: z.object({ message: z.string() }),
        example: { message: 'hello' },
        handler: async (input, ctx) => {
          count(ctx.jobId);
          return { message: input.message };
        },
      }),
      sleep: defineKind({
        description: 'Sleeps, honouring cancellation and deadlines.',
        input: z.object({ ms: z.number().int().min(0).max(600_000) }),
        output: z.object({ slept: z.number() }),
        example: { ms: 10 },
        handler: async (input, ctx) => {
          count(ctx.jobId);
          await ctx.emit('step.started', { step: 'sleep' });
          await sleep(input.ms, ctx.signal);
          await ctx.emit('step.completed', { step: 'sleep' });
          return { slept: input.ms };
        },
      }),
      flaky: defineKind({
        description: 'Fails `failures` times with a retryable error, then succeeds.',
        input: z.object({ failures: z.number().int().min(0).max(20) }),
        output: z.object({ attempt: z.number() }),
        example: { failures: 1 },
        handler: async (input, ctx) => {
          const n = count(ctx.jobId);
          if (n <= input.failures)
            throw new AgentError('dependency_unavailable', { detail: `attempt ${n} failed` });
          return { attempt: ctx.attempt };
        },
      }),
      fail: defineKind({
        description: 'Always fails.',
        input: z.object({ retryable: z.boolean() }),
        output: z.object({}),
        example: { retryable: false },
        handler: async (input, ctx) => {
          count(ctx.jobId);
          throw input.retryable
            ? new AgentError('dependency_failed', { detail: 'poison job' })
            : new AgentError('tool_denied', { detail: 'not allowed' });
        },
      }),
      stream: defineKind({
        description: 'Emits `n` token events, `delay_ms` apart.',
        input: z.object({
          n: z.number().int().min(1).max(1000),
          delay_ms: z.number().int().min(0).max(1000).default(0),
        }),
        output: z.object({ text: z.string() }),
        example: { n: 3, delay_ms: 0 },
        handler: async (input, ctx) => {
          count(ctx.jobId);
          let text = '';
          for (let i = 0; i < input.n; i++) {
            const delta = `${i === 0 ? '' : ' '}t${i}`;
            text += delta;
            await ctx.token(delta);
            if (input.delay_ms > 0) await sleep(input.delay_ms, ctx.signal);
          }
          return { text };
        },
      }),
      'bad-output': defineKind({
        description: 'Returns output that violates its schema.',
        input: z.object({}),
        output: z.object({ n: z.number() }),
        example: {},
        handler: async () => ({ n: 'not a number' }) as unknown as { n: number },
      }),
    },
  };
  return { definition, probe };
}

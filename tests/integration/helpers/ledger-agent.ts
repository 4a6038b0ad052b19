/**
 * An agent whose jobs write to a ledger in Redis, for the fault tests: every run counts an
 * execution (a raw INCR), and the job's effect (one unit added to the ledger) is applied by one
 * script guarded by SET NX on the job id, so a job run twice still adds its unit once.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { defineKind, type AgentDefinition } from '../../../agents/common/src/service/agent-definition.js';
import { sleep } from '../../../agents/common/src/testing/test-agent.js';

/** Name of the agent (its queue is `agent.ledger`). */
export const LEDGER_AGENT = 'ledger';

/** Where the ledger agent keeps its counters. */
export function ledgerKeys(prefix: string): {
  executions: (jobId: string) => string;
  guard: (jobId: string) => string;
  applied: (jobId: string) => string;
  total: string;
} {
  return {
    executions: (jobId) => `${prefix}:ledger:executions:${jobId}`,
    guard: (jobId) => `${prefix}:ledger:guard:${jobId}`,
    applied: (jobId) => `${prefix}:ledger:applied:${jobId}`,
    total: `${prefix}:ledger:total`,
  };
}

/** KEYS: guard, applied, total. ARGV: attempt. 1 when this run applied the effect, 0 otherwise. */
const APPLY_ONCE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('INCR', KEYS[2])
  redis.call('INCR', KEYS[3])
  return 1
end
return 0`;

/**
 * The agent, writing its ledger to the Redis at `url`. The ledger stands for a system of its own,
 * so tests give it a connection that an outage of the job backend does not cut.
 */
export function createLedgerAgent(
  url: string,
  prefix: string,
): { definition: AgentDefinition; close: () => void } {
  const redis = new Redis(url);
  const keys = ledgerKeys(prefix);
  const record = async (jobId: string, attempt: number): Promise<boolean> => {
    const applied = await redis.eval(
      APPLY_ONCE,
      3,
      keys.guard(jobId),
      keys.applied(jobId),
      keys.total,
      String(attempt),
    );
    return applied === 1;
  };
  const definition: AgentDefinition = {
    name: LEDGER_AGENT,
    version: '1.0.0',
    capability: 'test',
    description: 'Adds one unit per job to a ledger, once.',
    kinds: {
      echo: defineKind({
        description: 'Returns its message and books the job.',
        input: z.object({ message: z.string() }),
        output: z.object({ message: z.string(), applied_here: z.boolean() }),
        example: { message: 'hi' },
        handler: async (input, ctx) => {
          await redis.incr(keys.executions(ctx.jobId));
          return { message: input.message, applied_here: await record(ctx.jobId, ctx.attempt) };
        },
      }),
      sleep: defineKind({
        description: 'Works for `ms`, then books the job.',
        input: z.object({ ms: z.number().int().min(0).max(60_000) }),
        output: z.object({ slept: z.number(), applied_here: z.boolean() }),
        example: { ms: 10 },
        handler: async (input, ctx) => {
          await redis.incr(keys.executions(ctx.jobId));
          await sleep(input.ms, ctx.signal);
          return { slept: input.ms, applied_here: await record(ctx.jobId, ctx.attempt) };
        },
      }),
    },
  };
  return { definition, close: () => redis.disconnect() };
}

/** What the ledger holds: executions and applied effects per job id, and the ledger total. */
export interface LedgerReading {
  executions: Map<string, number>;
  applied: Map<string, number>;
  total: number;
}

async function countersUnder(redis: Redis, pattern: string, idAfter: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    if (found.length === 0) continue;
    const values = await redis.mget(...found);
    found.forEach((key, i) => out.set(key.slice(idAfter.length), Number(values[i] ?? 0)));
  } while (cursor !== '0');
  return out;
}

/** Reads every counter the ledger agent wrote under `prefix`, whichever job it was for. */
export async function readLedger(redis: Redis, prefix: string): Promise<LedgerReading> {
  const keys = ledgerKeys(prefix);
  const execPrefix = keys.executions('');
  const appliedPrefix = keys.applied('');
  return {
    executions: await countersUnder(redis, `${execPrefix}*`, execPrefix),
    applied: await countersUnder(redis, `${appliedPrefix}*`, appliedPrefix),
    total: Number((await redis.get(keys.total)) ?? 0),
  };
}

/**
 * One agent replica as its own process, for crash tests: the effect agent on the Redis backend,
 * consuming until it is killed. Settings come from the environment; prints `ready` once consuming.
 */
import { createRedisBackend } from '../../../agents/common/src/adapters/redis/redis-backend.js';
import { startTestService } from '../../../agents/common/src/testing/harness.js';
import { createEffectAgent, EFFECT_AGENT } from './effect-agent.js';

const url = process.env.REPLICA_REDIS_URL ?? '';
const prefix = process.env.REPLICA_PREFIX ?? '';
const lockDurationMs = Number(process.env.REPLICA_LOCK_MS ?? '1500');

const agent = createEffectAgent(url, prefix);
const backend = await createRedisBackend({
  agent: EFFECT_AGENT,
  url,
  prefix,
  worker: { lockDurationMs, stalledIntervalMs: 500 },
});
await startTestService(agent.definition, { backend });
process.stdout.write('ready\n');

/**
 * One replica of the kit's test agent as its own process, for crash and load tests: the Redis
 * backend, the kit's service built from the agent config (`AGENT_MAX_WORKERS`,
 * `AGENT_MAX_QUEUE_DEPTH`, `LOG_LEVEL`), listening on an OS-assigned port and consuming until it is
 * killed. Prints `ready <base url>` once serving.
 */
import type { AddressInfo } from 'node:net';
import { createRedisBackend } from '../../../agents/common/src/adapters/redis/redis-backend.js';
import { loadConfig } from '../../../agents/common/src/config.js';
import { createLogger } from '../../../agents/common/src/observability/logger.js';
import { AgentMetrics } from '../../../agents/common/src/observability/metrics.js';
import { createAgentService } from '../../../agents/common/src/service/create-service.js';
import { createTestAgent } from '../../../agents/common/src/testing/test-agent.js';

const url = process.env.REPLICA_REDIS_URL ?? '';
const prefix = process.env.REPLICA_PREFIX ?? '';
const lockDurationMs = Number(process.env.REPLICA_LOCK_MS ?? '1500');

const { definition } = createTestAgent();
const env: NodeJS.ProcessEnv = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
for (const name of ['AGENT_MAX_WORKERS', 'AGENT_MAX_QUEUE_DEPTH']) {
  if (process.env[name] !== undefined) env[name] = process.env[name];
}
const config = loadConfig(env, { agentName: definition.name, port: 0 });
const logger = createLogger({ agent: definition.name, level: config.logLevel });
const backend = await createRedisBackend({
  agent: definition.name,
  url,
  prefix,
  logger,
  worker: { lockDurationMs, stalledIntervalMs: 500 },
});
const service = createAgentService({
  agent: definition,
  backend,
  metrics: new AgentMetrics({
    namespace: config.prometheusNamespace,
    agent: definition.name,
    processMetrics: true,
  }),
  logger,
  buildInfo: {
    name: definition.name,
    version: definition.version,
    git_sha: 'test',
    build_time: new Date(0).toISOString(),
  },
  engine: config,
  bodyLimitBytes: config.bodyLimitBytes,
  sseHeartbeatMs: config.sseHeartbeatMs,
});
await service.app.listen({ port: 0, host: '127.0.0.1' });
service.engine.start();
process.stdout.write(`ready http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}\n`);

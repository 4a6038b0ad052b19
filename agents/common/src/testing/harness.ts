import { Writable } from 'node:stream';
import { createMemoryBackend } from '../adapters/memory/memory-backend.js';
import { createLogger } from '../observability/logger.js';
import { AgentMetrics } from '../observability/metrics.js';
import type { JobBackend } from '../ports/job-backend.js';
import type { DependencyCheck } from '../ports/readiness.js';
import type { EngineOptions } from '../jobs/engine.js';
import type { AgentDefinition } from '../service/agent-definition.js';
import { createAgentService, type AgentService } from '../service/create-service.js';

/** Engine settings for tests: small, fast retries. */
export const TEST_ENGINE: EngineOptions = {
  maxWorkers: 2,
  maxQueueDepth: 50,
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 40,
  defaultDeadlineMs: 30_000,
  idempotencyTtlS: 3600,
  tenantRatePerS: 0,
  tenantBurst: 100,
};

/** A service under test with its captured log lines. */
export interface TestService extends AgentService {
  logs: string[];
  metrics: AgentMetrics;
  backend: JobBackend;
}

/** Builds an agent service on the given (default: memory) backend, with logs captured in memory. */
export async function startTestService(
  definition: AgentDefinition,
  opts: {
    engine?: Partial<EngineOptions>;
    backend?: JobBackend;
    checks?: DependencyCheck[];
    bodyLimitBytes?: number;
    sseHeartbeatMs?: number;
    start?: boolean;
  } = {},
): Promise<TestService> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ agent: definition.name, level: 'debug', destination });
  const metrics = new AgentMetrics({
    namespace: 'sutazai_agents',
    agent: definition.name,
    processMetrics: true,
  });
  const backend = opts.backend ?? createMemoryBackend({ agent: definition.name });
  const service = createAgentService({
    agent: definition,
    backend,
    metrics,
    logger,
    buildInfo: {
      name: definition.name,
      version: definition.version,
      git_sha: 'test',
      build_time: new Date(0).toISOString(),
    },
    engine: { ...TEST_ENGINE, ...opts.engine },
    bodyLimitBytes: opts.bodyLimitBytes ?? 64 * 1024,
    sseHeartbeatMs: opts.sseHeartbeatMs ?? 15_000,
    extraChecks: opts.checks ?? [],
    readinessTimeoutMs: 300,
  });
  if (opts.start !== false) service.engine.start();
  return { ...service, logs, metrics, backend };
}

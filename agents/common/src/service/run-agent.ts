import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type AgentConfig } from '../config.js';
import { createMemoryBackend } from '../adapters/memory/memory-backend.js';
import { createLogger } from '../observability/logger.js';
import { AgentMetrics } from '../observability/metrics.js';
import type { JobBackend } from '../ports/job-backend.js';
import type { Logger } from '../ports/logger.js';
import type { DependencyCheck } from '../ports/readiness.js';
import type { AgentDefinition } from './agent-definition.js';
import { readBuildInfo } from './build-info.js';
import { createAgentService, type AgentService } from './create-service.js';

/** The repository root (for build info), found from this file's location. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** What an agent's `main.ts` gets to build its capability from. */
export interface AgentRuntime {
  config: AgentConfig;
  logger: Logger;
  metrics: AgentMetrics;
}

/** The capability of an agent, built once config, logger and metrics exist. */
export interface AgentFactoryResult {
  definition: AgentDefinition;
  /** Checks beyond the definition's (e.g. the model server). */
  checks?: DependencyCheck[];
  /** Runs after listen (e.g. model warm-up); failures are logged, `/ready` reports them. */
  afterListen?: () => Promise<void>;
  /** Releases what the factory opened. */
  close?: () => Promise<void>;
}

/** Picks the job backend for the config: embedded memory unless distributed servers are configured. */
export async function createJobBackend(config: AgentConfig): Promise<JobBackend> {
  if (config.redisUrl) {
    throw new ConfigError('REDIS_URL', 'unset: this build has only the embedded job backend', '[hidden]');
  }
  return createMemoryBackend({ agent: config.agentName });
}

/** Builds everything from config and the agent factory (no listen). */
export async function buildAgentFromConfig(
  config: AgentConfig,
  factory: (rt: AgentRuntime) => Promise<AgentFactoryResult> | AgentFactoryResult,
  logger = createLogger({ agent: config.agentName, level: config.logLevel }),
): Promise<{ service: AgentService; built: AgentFactoryResult }> {
  const metrics = new AgentMetrics({
    namespace: config.prometheusNamespace,
    agent: config.agentName,
    processMetrics: true,
  });
  const built = await factory({ config, logger, metrics });
  const backend = await createJobBackend(config);
  const service = createAgentService({
    agent: built.definition,
    backend,
    metrics,
    logger,
    buildInfo: readBuildInfo(built.definition.name, built.definition.version, REPO_ROOT),
    engine: config,
    bodyLimitBytes: config.bodyLimitBytes,
    sseHeartbeatMs: config.sseHeartbeatMs,
    extraChecks: built.checks ?? [],
  });
  return { service, built };
}

/**
 * The whole life of an agent process: validate env (exit 78 with one line on a bad value), build,
 * listen, start workers, and shut down gracefully on SIGTERM/SIGINT.
 */
export async function runAgent(
  defaults: { agentName: string; port: number },
  factory: (rt: AgentRuntime) => Promise<AgentFactoryResult> | AgentFactoryResult,
): Promise<AgentService> {
  let config: AgentConfig;
  try {
    config = loadConfig(process.env, defaults);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ agent: config.agentName, level: config.logLevel });
  const { service, built } = await buildAgentFromConfig(config, factory, logger);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => process.exit(1), config.shutdownGraceMs + 5000);
    hardStop.unref();
    void service
      .close(config.shutdownGraceMs)
      .then(() => built.close?.())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await service.app.listen({ port: config.port, host: config.host });
  service.engine.start();
  logger.info({ port: config.port, host: config.host }, `${config.agentName} listening`);
  if (built.afterListen) {
    built.afterListen().catch((err: unknown) => logger.warn({ err }, 'post-start task failed'));
  }
  return service;
}

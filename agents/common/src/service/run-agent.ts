import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type AgentConfig } from '../config.js';
import { createJobBackendFromConfig } from '../adapters/backend-from-config.js';
import { createLogger } from '../observability/logger.js';
import { AgentMetrics } from '../observability/metrics.js';
import type { JobBackend } from '../ports/job-backend.js';
import { noopLogger, type Logger } from '../ports/logger.js';
import type { DependencyCheck } from '../ports/readiness.js';
import {
  DEFAULT_REGISTRY_TTL_MS,
  newReplicaId,
  type AgentRegistry,
  type Announcement,
} from '../registry/agent-registry.js';
import { createRedisAgentRegistry } from '../registry/redis-agent-registry.js';
import type { AgentDefinition } from './agent-definition.js';
import { readBuildInfo } from './build-info.js';
import { exitOnSignals } from './shutdown.js';
import { createAgentService, type AgentService } from './create-service.js';

/** The repository root (for build info), found from this file's location. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** What an agent's `main.ts` gets to build its capability from. */
export interface AgentRuntime {
  config: AgentConfig;
  logger: Logger;
  metrics: AgentMetrics;
  /**
   * The shared registry of live agent replicas (set when `REDIS_URL` is): how an agent that calls
   * others finds their replicas. Undefined in the embedded default, where `AGENT_URL_<NAME>` rules.
   */
  registry?: AgentRegistry;
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

/**
 * The job backend the config asks for (embedded memory, Redis, Postgres; see
 * `createJobBackendFromConfig`). Kept under this name for the callers that knew only memory.
 */
export function createJobBackend(config: AgentConfig, logger: Logger = noopLogger): Promise<JobBackend> {
  return createJobBackendFromConfig(config, { logger });
}

/** Options of {@link buildAgentFromConfig}. */
export interface BuildAgentOptions {
  /** Lifetime of a registry entry without heartbeats (Redis registry). Default 10 s. */
  registryTtlMs?: number;
}

/** An agent built from config: its service, what its factory made, and the registry it uses. */
export interface BuiltAgent {
  service: AgentService;
  built: AgentFactoryResult;
  /** The Redis registry when `REDIS_URL` is set; the caller closes it after the service. */
  registry: AgentRegistry | undefined;
}

/** Builds everything from config and the agent factory (no listen). */
export async function buildAgentFromConfig(
  config: AgentConfig,
  factory: (rt: AgentRuntime) => Promise<AgentFactoryResult> | AgentFactoryResult,
  logger = createLogger({ agent: config.agentName, level: config.logLevel }),
  opts: BuildAgentOptions = {},
): Promise<BuiltAgent> {
  const metrics = new AgentMetrics({
    namespace: config.prometheusNamespace,
    agent: config.agentName,
    processMetrics: true,
  });
  const registry =
    config.redisUrl === undefined
      ? undefined
      : await createRedisAgentRegistry({
          url: config.redisUrl,
          logger,
          ttlMs: opts.registryTtlMs ?? DEFAULT_REGISTRY_TTL_MS,
        });
  let built: AgentFactoryResult | undefined;
  try {
    built = await factory({ config, logger, metrics, ...(registry ? { registry } : {}) });
    const backend = await createJobBackend(config, logger);
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
    return { service, built, registry };
  } catch (err) {
    await built?.close?.().catch(() => undefined);
    await registry?.close().catch(() => undefined);
    throw err;
  }
}

/** Settings `runAgent` reads beyond the kit's config: how the replica announces itself. */
export interface AnnounceSettings {
  /** `AGENT_PUBLIC_URL`: the URL other machines reach this replica at. */
  publicUrl: string | undefined;
  /** `AGENT_REGISTRY_TTL_MS`: lifetime of the registry entry without heartbeats. */
  registryTtlMs: number;
}

/** Reads `AGENT_PUBLIC_URL` and `AGENT_REGISTRY_TTL_MS`; throws {@link ConfigError} naming a bad one. */
export function loadAnnounceSettings(env: NodeJS.ProcessEnv): AnnounceSettings {
  const rawUrl = env.AGENT_PUBLIC_URL?.trim();
  let publicUrl: string | undefined;
  if (rawUrl) {
    let url: URL | undefined;
    try {
      url = new URL(rawUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
      throw new ConfigError('AGENT_PUBLIC_URL', 'an http(s) URL like http://10.0.0.5:11001', rawUrl);
    }
    publicUrl = rawUrl.replace(/\/+$/, '');
  }
  const rawTtl = env.AGENT_REGISTRY_TTL_MS?.trim();
  let registryTtlMs = DEFAULT_REGISTRY_TTL_MS;
  if (rawTtl) {
    const n = /^\d+$/.test(rawTtl) ? Number(rawTtl) : NaN;
    if (!(n >= 300 && n <= 600_000)) {
      throw new ConfigError('AGENT_REGISTRY_TTL_MS', 'an integer from 300 to 600000', rawTtl);
    }
    registryTtlMs = n;
  }
  return { publicUrl, registryTtlMs };
}

/**
 * The URL a replica announces: `AGENT_PUBLIC_URL` when set, else `http://<AGENT_HOST>:<port>` with
 * the port it listens on — and the machine's host name for a wildcard bind address, which no other
 * machine could dial.
 */
export function replicaUrl(publicUrl: string | undefined, host: string, port: number): string {
  if (publicUrl !== undefined) return publicUrl;
  const h = host === '0.0.0.0' || host === '::' || host === '' ? hostname() : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
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
  let announceSettings: AnnounceSettings;
  try {
    announceSettings = loadAnnounceSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ agent: config.agentName, level: config.logLevel });
  const { service, built, registry } = await buildAgentFromConfig(config, factory, logger, {
    registryTtlMs: announceSettings.registryTtlMs,
  });
  let announcement: Announcement | undefined;
  let stopping = false;
  exitOnSignals(logger, config.shutdownGraceMs + 5000, async () => {
    stopping = true;
    // Leave the registry first, so callers stop picking this replica while it drains.
    await (announcement?.withdraw() ?? Promise.resolve()).catch((err: unknown) =>
      logger.warn({ err }, 'registry withdraw failed; the entry expires with its TTL'),
    );
    await service.close(config.shutdownGraceMs);
    await built.close?.();
    await registry?.close();
  });
  await service.app.listen({ port: config.port, host: config.host });
  service.engine.start();
  const port = (service.app.server.address() as AddressInfo).port;
  logger.info({ port, host: config.host }, `${config.agentName} listening`);
  if (registry && !stopping) {
    announcement = await registry.announce({
      agent: config.agentName,
      replica_id: newReplicaId(),
      url: replicaUrl(announceSettings.publicUrl, config.host, port),
      version: built.definition.version,
      started_at: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      capability: built.definition.capability,
    });
    logger.info(
      { replica_id: announcement.replica.replica_id, url: announcement.replica.url, ttl_ms: registry.ttlMs },
      'announced in the agent registry',
    );
    // A signal that came while announcing found nothing to withdraw yet.
    if (stopping) await announcement.withdraw().catch(() => undefined);
  }
  if (built.afterListen) {
    built.afterListen().catch((err: unknown) => logger.warn({ err }, 'post-start task failed'));
  }
  return service;
}

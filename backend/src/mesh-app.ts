import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import {
  AgentError,
  createHttpApp,
  type AgentMetrics,
  type AgentRegistry as ReplicaRegistry,
  type BuildInfo,
  type DependencyCheck,
} from '@sutazai/agent-kit';
import { AgentRegistry } from './agent-registry.js';
import { DEFAULT_AGENT, type MeshConfig } from './config.js';
import type { MeshContext } from './mesh-context.js';
import { buildMeshOpenApi } from './openapi.js';
import { registerAgentRoutes } from './routes/agents.js';
import { registerDocumentRoutes } from './routes/documents.js';
import { registerEventRoutes } from './routes/events.js';
import { registerJobRoutes } from './routes/jobs.js';

/** Everything the mesh needs; all I/O is injected and nothing listens. */
export interface MeshOptions {
  config: MeshConfig;
  logger: PinoLogger;
  /** The kit's metrics, labelled `agent="mesh"`. */
  metrics: AgentMetrics;
  buildInfo: BuildInfo;
  /** HTTP client for every call to an agent (default: the global fetch). */
  fetch?: typeof fetch;
  /**
   * The shared registry of live replicas (Redis, when `REDIS_URL` is set): calls go to the replicas
   * it lists. Without it, each agent is at its configured URL. The caller closes it after the mesh.
   */
  replicas?: ReplicaRegistry;
}

/** A built mesh: the Fastify app (call `listen` to serve) and its agent registry. */
export interface Mesh {
  app: FastifyInstance;
  registry: AgentRegistry;
  /** Makes `/ready` answer 503 so load balancers drain the mesh before it closes. */
  stop(): void;
  /** Ends relayed event streams and closes the server. */
  close(): Promise<void>;
}

/**
 * Builds the Backend Mesh: the kit's HTTP base (trace and tenant hooks, problem+json errors,
 * `/health` `/ready` `/metrics` `/version`) plus the public API in front of the agents.
 */
export function buildMesh(opts: MeshOptions): Mesh {
  const { config } = opts;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const registry = new AgentRegistry({
    agents: config.agents,
    probeTimeoutMs: config.probeTimeoutMs,
    cacheMs: config.registryCacheMs,
    fetch: fetchFn,
    log: opts.logger,
    ...(opts.replicas ? { replicas: opts.replicas } : {}),
  });
  let stopping = false;
  const readiness: DependencyCheck = registry.has(DEFAULT_AGENT)
    ? registry.readiness(DEFAULT_AGENT)
    : {
        name: `agent:${DEFAULT_AGENT}`,
        check: async () => ({ ok: false, detail: `no URL configured for ${DEFAULT_AGENT}` }),
      };
  const app = createHttpApp({
    logger: opts.logger,
    metrics: opts.metrics,
    buildInfo: opts.buildInfo,
    bodyLimitBytes: config.bodyLimitBytes,
    checks: () => [readiness],
    isStopping: () => stopping,
    readinessTimeoutMs: config.probeTimeoutMs,
  });
  const ctx: MeshContext = { registry, fetch: registry.fetch, config, streams: new Set() };
  const openapi = buildMeshOpenApi(opts.buildInfo.version);
  app.get('/openapi.json', async () => openapi);
  registerAgentRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerDocumentRoutes(app, ctx);

  let closed = false;
  return {
    app,
    registry,
    stop() {
      stopping = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      stopping = true;
      for (const stream of ctx.streams) stream.abort(new AgentError('shutting_down'));
      await app.close();
    },
  };
}

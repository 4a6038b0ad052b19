import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { buildOpenApi } from '../contract/openapi.js';
import { SCHEMA_VERSION, type AgentDescriptor } from '../contract/schemas.js';
import { JobEngine, type EngineOptions } from '../jobs/engine.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { JobBackend } from '../ports/job-backend.js';
import type { DependencyCheck } from '../ports/readiness.js';
import type { AgentDefinition } from './agent-definition.js';
import type { BuildInfo } from './build-info.js';
import { createHttpApp } from './http-app.js';
import { registerJobRoutes } from './job-routes.js';

export { DEFAULT_TENANT } from './http-app.js';

/** What {@link createAgentService} needs; all I/O is injected (nothing happens at import). */
export interface AgentServiceOptions {
  agent: AgentDefinition;
  backend: JobBackend;
  metrics: AgentMetrics;
  logger: PinoLogger;
  buildInfo: BuildInfo;
  engine: EngineOptions;
  bodyLimitBytes: number;
  sseHeartbeatMs: number;
  /** Largest request header block accepted, in bytes (larger → 431). */
  maxHeaderBytes?: number;
  readinessTimeoutMs?: number;
  /** Extra checks (e.g. the model warm-up) beyond the agent's and the backend's. */
  extraChecks?: readonly DependencyCheck[];
}

/** A built agent service: the Fastify app (not listening) and its job engine. */
export interface AgentService {
  app: FastifyInstance;
  engine: JobEngine;
  /** Stops intake, drains or hands back running jobs, closes the server and the backend. */
  close(graceMs: number): Promise<void>;
}

/** The agent descriptor (`GET /v1/agent`), with JSON Schemas generated from the kinds' zod schemas. */
export function describeAgent(agent: AgentDefinition): AgentDescriptor {
  return {
    schema: SCHEMA_VERSION,
    name: agent.name,
    version: agent.version,
    capability: agent.capability,
    description: agent.description,
    kinds: Object.entries(agent.kinds).map(([kind, def]) => ({
      kind,
      description: def.description,
      input_schema: z.toJSONSchema(def.input, { io: 'input', unrepresentable: 'any' }),
      output_schema: z.toJSONSchema(def.output, { io: 'output', unrepresentable: 'any' }),
      example: def.example,
    })),
  };
}

/**
 * Builds an agent's HTTP service: the contract routes (`/health`, `/ready`, `/metrics`, `/version`,
 * `/v1/agent`, `/openapi.json`) and the job API, over the given backend. Call `engine.start()` and
 * `app.listen()` to serve; tests use `app.inject()`.
 */
export function createAgentService(opts: AgentServiceOptions): AgentService {
  const { agent, backend, metrics } = opts;
  const engine = new JobEngine(agent, backend, opts.engine, metrics, opts.logger);
  const checks = [...backend.readiness(), ...(agent.dependencies ?? []), ...(opts.extraChecks ?? [])];
  const app = createHttpApp({
    logger: opts.logger,
    metrics,
    buildInfo: opts.buildInfo,
    bodyLimitBytes: opts.bodyLimitBytes,
    ...(opts.maxHeaderBytes === undefined ? {} : { maxHeaderBytes: opts.maxHeaderBytes }),
    ...(opts.readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs: opts.readinessTimeoutMs }),
    checks: () => checks,
    isStopping: () => engine.isStopping,
  });
  const descriptor = describeAgent(agent);
  const openapi = buildOpenApi(descriptor);
  app.get('/v1/agent', async () => descriptor);
  app.get('/openapi.json', async () => openapi);
  registerJobRoutes(app, engine, backend.events, { sseHeartbeatMs: opts.sseHeartbeatMs });

  let closed = false;
  return {
    app,
    engine,
    async close(graceMs: number) {
      if (closed) return;
      closed = true;
      await engine.stop(graceMs);
      await app.close();
      await backend.close();
    },
  };
}

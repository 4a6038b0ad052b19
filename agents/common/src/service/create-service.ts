import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { AgentError } from '../contract/errors.js';
import { buildOpenApi } from '../contract/openapi.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../contract/problem.js';
import { SCHEMA_VERSION, TenantId, type AgentDescriptor } from '../contract/schemas.js';
import { JobEngine, type EngineOptions } from '../jobs/engine.js';
import type { AgentMetrics } from '../observability/metrics.js';
import { startTrace, type TraceContext } from '../observability/tracing.js';
import type { JobBackend } from '../ports/job-backend.js';
import type { DependencyCheck } from '../ports/readiness.js';
import type { AgentDefinition } from './agent-definition.js';
import type { BuildInfo } from './build-info.js';
import { installErrorHandling, sendProblem } from './http-errors.js';
import { registerJobRoutes } from './job-routes.js';
import { checkReadiness } from './readiness.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** W3C trace context of this request. */
    trace: TraceContext;
    /** Tenant from `X-Tenant-Id` (default `default`). */
    tenantId: string;
  }
}

/** Tenant used when a request names none. */
export const DEFAULT_TENANT = 'default';

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
      input_schema: z.toJSONSchema(def.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
      output_schema: z.toJSONSchema(def.output, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>,
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
  const { agent, backend, metrics, buildInfo } = opts;
  const startedAt = Date.now();
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    routerOptions: { maxParamLength: 200 },
    http: { maxHeaderSize: opts.maxHeaderBytes ?? 16 * 1024 },
    return503OnClosing: false,
    forceCloseConnections: true,
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      const problem = toProblem(
        new AgentError(tooLarge ? 'headers_too_large' : 'bad_request', { detail: err.message }),
        startTrace().traceId,
      );
      const body = JSON.stringify(problem);
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${problem.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      metrics.error(problem.code);
    },
  });
  const engine = new JobEngine(agent, backend, opts.engine, metrics, opts.logger);
  const descriptor = describeAgent(agent);
  const openapi = buildOpenApi(descriptor);
  const checks = [...backend.readiness(), ...(agent.dependencies ?? []), ...(opts.extraChecks ?? [])];

  // JSON is the only request body type of the contract.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('trace', null as unknown as TraceContext);
  app.decorateRequest('tenantId', DEFAULT_TENANT);
  app.addHook('onRequest', async (req, reply) => {
    req.trace = startTrace(req.headers.traceparent);
    req.log = req.log.child({ trace_id: req.trace.traceId });
    void reply.header('x-trace-id', req.trace.traceId);
    const tenant = req.headers['x-tenant-id'];
    if (tenant !== undefined) {
      const parsed = TenantId.safeParse(tenant);
      if (!parsed.success) {
        req.tenantId = DEFAULT_TENANT;
        return sendProblem(req, reply, new AgentError('invalid_tenant', { detail: 'X-Tenant-Id must be 1-64 chars of [A-Za-z0-9._-]' }));
      }
      req.tenantId = parsed.data;
    }
    req.log = req.log.child({ tenant_id: req.tenantId });
    return undefined;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(req.method, route, reply.statusCode, reply.elapsedTime);
    if (route !== '/health' && route !== '/metrics' && route !== '/ready') {
      req.log.info({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
  });
  installErrorHandling(app, metrics);

  app.get('/health', async () => ({
    status: 'ok',
    version: buildInfo.version,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
  }));
  app.get('/ready', async (req, reply) => {
    if (engine.isStopping) return sendProblem(req, reply, new AgentError('shutting_down'));
    const report = await checkReadiness(checks, opts.readinessTimeoutMs ?? 2000);
    if (report.ready) return { status: 'ready', checks: report.checks };
    const err = new AgentError('not_ready', {
      detail: `not ready: ${report.failing.join(', ')}`,
      details: { failing: report.failing, checks: report.checks },
      retryAfterS: 1,
    });
    return sendProblem(req, reply, err);
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  app.get('/version', async () => buildInfo);
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

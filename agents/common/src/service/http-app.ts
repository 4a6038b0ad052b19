import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { AgentError } from '../contract/errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../contract/problem.js';
import { TenantId } from '../contract/schemas.js';
import type { AgentMetrics } from '../observability/metrics.js';
import { startTrace, type TraceContext } from '../observability/tracing.js';
import type { DependencyCheck } from '../ports/readiness.js';
import type { BuildInfo } from './build-info.js';
import { installErrorHandling, sendProblem } from './http-errors.js';
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

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  logger: PinoLogger;
  metrics: AgentMetrics;
  buildInfo: BuildInfo;
  bodyLimitBytes: number;
  /** Largest request header block accepted, in bytes (larger → 431). */
  maxHeaderBytes?: number;
  /** What `/ready` checks. */
  checks: () => readonly DependencyCheck[];
  /** When true, `/ready` answers 503 `shutting_down`. */
  isStopping: () => boolean;
  readinessTimeoutMs?: number;
}

/**
 * The HTTP base every service of the platform shares (agents and the mesh): trace and tenant on
 * every request, problem+json errors, request metrics and logs, and `/health`, `/ready`,
 * `/metrics`, `/version`.
 */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const { metrics, buildInfo } = opts;
  const startedAt = Date.now();
  const app = Fastify({
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes,
    routerOptions: { maxParamLength: 200 },
    http: { maxHeaderSize: opts.maxHeaderBytes ?? 16 * 1024 },
    return503OnClosing: false,
    forceCloseConnections: true,
    // Errors the router raises before any hook runs (bad URL encoding, overlong path parameters).
    frameworkErrors: (error, req, reply) => {
      req.trace ??= startTrace(req.headers.traceparent);
      const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : 'bad_request';
      metrics.error(code);
      void sendProblem(
        req,
        reply,
        new AgentError(code, { detail: error.message.slice(0, 200), cause: error }),
      );
    },
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
  }) as unknown as FastifyInstance;

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
        return sendProblem(
          req,
          reply,
          new AgentError('invalid_tenant', { detail: 'X-Tenant-Id must be 1-64 chars of [A-Za-z0-9._-]' }),
        );
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
      req.log.info(
        { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
    }
  });
  installErrorHandling(app, metrics);

  app.get('/health', async () => ({
    status: 'ok',
    version: buildInfo.version,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
  }));
  app.get('/ready', async (req, reply) => {
    if (opts.isStopping()) return sendProblem(req, reply, new AgentError('shutting_down'));
    const report = await checkReadiness(opts.checks(), opts.readinessTimeoutMs ?? 2000);
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
  return app;
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AgentError } from '../contract/errors.js';
import { JobRequest, SCHEMA_VERSION, isTerminal } from '../contract/schemas.js';
import type { JobEngine } from '../jobs/engine.js';
import { parseIdempotencyKey } from '../jobs/idempotency.js';
import { zodIssues } from '../jobs/validation.js';
import type { EventLog } from '../ports/job-backend.js';
import { lastEventId, streamJobEvents } from './sse.js';

/** Longest `Prefer: wait=N` honoured, in seconds. */
export const MAX_PREFER_WAIT_S = 60;

/** Reads `Prefer: wait=N` (RFC 7240); other preferences are ignored. */
export function preferWait(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(value);
  if (!m?.[1]) return undefined;
  return Math.min(Number(m[1]), MAX_PREFER_WAIT_S);
}

function jobIdParam(req: FastifyRequest): string {
  const id = (req.params as { job_id?: string }).job_id ?? '';
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id))
    throw new AgentError('job_not_found', { detail: 'malformed job id' });
  return id;
}

function limitParam(req: FastifyRequest): number {
  const raw = (req.query as Record<string, unknown> | undefined)?.limit;
  if (raw === undefined) return 50;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 1000)) throw new AgentError('validation_failed', { detail: 'limit must be 1-1000' });
  return n;
}

/** Job intake, status, events, cancel and dead-letter routes (SPEC §3). */
export function registerJobRoutes(
  app: FastifyInstance,
  engine: JobEngine,
  events: EventLog,
  opts: { sseHeartbeatMs: number },
): void {
  app.post('/v1/jobs', async (req, reply) => {
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    const parsed = JobRequest.safeParse(req.body);
    if (!parsed.success) {
      throw new AgentError('validation_failed', { errors: zodIssues(parsed.error) });
    }
    const waitS = preferWait(req.headers.prefer);
    const result = await engine.submit({
      tenantId: req.tenantId,
      body: parsed.data,
      traceId: req.trace.traceId,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      ...(waitS === undefined ? {} : { waitS }),
    });
    const location = `/v1/jobs/${result.jobId}`;
    void reply.header('location', location);
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    if (waitS !== undefined) void reply.header('preference-applied', `wait=${waitS}`);
    return reply.code(result.status).send(result.body);
  });

  // `Prefer: wait=N` long-polls: the answer comes when the job ends or N seconds pass.
  app.get('/v1/jobs/:job_id', async (req, reply) => {
    const jobId = jobIdParam(req);
    const rec = await engine.get(req.tenantId, jobId);
    const waitS = preferWait(req.headers.prefer);
    if (waitS === undefined || isTerminal(rec.status)) return rec;
    void reply.header('preference-applied', `wait=${waitS}`);
    await engine.waitForTerminal(jobId, waitS * 1000);
    return engine.get(req.tenantId, jobId);
  });

  app.get('/v1/jobs/:job_id/events', async (req, reply) => {
    const jobId = jobIdParam(req);
    await engine.get(req.tenantId, jobId);
    const after = lastEventId(req);
    await streamJobEvents(
      req,
      reply,
      jobId,
      after,
      { events, record: () => engine.get(req.tenantId, jobId).catch(() => undefined) },
      opts.sseHeartbeatMs,
    );
  });

  const cancel = async (req: FastifyRequest): Promise<unknown> =>
    engine.cancel(req.tenantId, jobIdParam(req));
  app.post('/v1/jobs/:job_id/cancel', cancel);
  app.delete('/v1/jobs/:job_id', cancel);

  app.get('/v1/dlq', async (req) => ({
    schema: SCHEMA_VERSION,
    items: await engine.listDeadLetters(req.tenantId, limitParam(req)),
  }));
  app.get('/v1/dlq/:job_id', async (req) => engine.getDeadLetter(req.tenantId, jobIdParam(req)));
  app.post('/v1/dlq/:job_id/redrive', async (req, reply) => {
    const rec = await engine.redrive(req.tenantId, jobIdParam(req));
    const location = `/v1/jobs/${rec.job_id}`;
    void reply.header('location', location);
    return reply.code(202).send({
      schema: SCHEMA_VERSION,
      job_id: rec.job_id,
      status: rec.status,
      location,
      events: `${location}/events`,
    });
  });
}

import type { FastifyInstance } from 'fastify';
import { AgentError, formatSse, lastEventId, openEventStream } from '@sutazai/agent-kit';
import { routeJob, type MeshContext } from '../mesh-context.js';
import { forwardHeaders, relayAnswer } from '../upstream.js';

/**
 * `GET /v1/jobs/{id}/events`: relays the agent's event stream. Events pass unchanged but for the
 * mesh job id, so their ids stay the agent's and a client resuming with `Last-Event-ID` through
 * any mesh replica gets exactly the later events. The kit's `AgentClient.events()` resumes upstream
 * from the last relayed id when the agent's stream drops, so the client sees no gap.
 */
export function registerEventRoutes(app: FastifyInstance, ctx: MeshContext): void {
  const { registry, config } = ctx;

  app.get('/v1/jobs/:job_id/events', async (req, reply) => {
    const job = await routeJob(req, registry);
    const after = lastEventId(req);
    // Errors (unknown job, other tenant, agent down) are answered as problems before the stream starts.
    const record = await registry.call(job.agent, {
      method: 'GET',
      path: job.path,
      headers: forwardHeaders(req),
      timeoutMs: config.upstreamTimeoutMs,
    });
    if (record.status !== 200) return relayAnswer(req, reply, job.agent, record);

    const res = openEventStream(req, reply);
    const abort = new AbortController();
    ctx.streams.add(abort);
    res.on('close', () => abort.abort(new AgentError('cancelled', { detail: 'client closed the stream' })));
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), config.sseHeartbeatMs);
    heartbeat.unref();
    try {
      const events = job.client.events(
        job.jobId,
        {
          tenantId: req.tenantId,
          traceparent: req.trace.traceparent,
          deadlineAt: Date.now() + config.streamMaxMs,
          signal: abort.signal,
        },
        after,
      );
      for await (const ev of events) res.write(formatSse({ ...ev, job_id: job.meshId }));
    } catch (err) {
      if (!abort.signal.aborted) req.log.warn({ err, agent_called: job.agent }, 'event relay ended early');
    } finally {
      clearInterval(heartbeat);
      ctx.streams.delete(abort);
      res.end();
    }
    return reply;
  });
}

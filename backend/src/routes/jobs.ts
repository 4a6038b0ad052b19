import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_AGENT } from '../config.js';
import { routeJob, type MeshContext } from '../mesh-context.js';
import { MeshJobRequest, parseBody } from '../mesh-schemas.js';
import { forwardHeaders, preferWaitS, relayAnswer } from '../upstream.js';

/**
 * `POST /v1/jobs` (routed by `agent`), and `GET`, cancel and `DELETE` of a job (routed by the
 * agent prefix of its mesh id) — each to a live replica of the agent, any of which can answer for
 * any of its jobs. Agents answer; the mesh passes the answer on with mesh ids.
 */
export function registerJobRoutes(app: FastifyInstance, ctx: MeshContext): void {
  const { registry, config } = ctx;

  app.post('/v1/jobs', async (req, reply) => {
    const { agent = DEFAULT_AGENT, ...request } = parseBody(MeshJobRequest, req.body);
    await registry.knows(agent);
    registry.client(agent); // an unknown agent is not_found before anything is sent
    const kind = request.kind ?? (await registry.defaultKind(agent, config.upstreamTimeoutMs));
    const headers = forwardHeaders(req);
    const answer = await registry.call(agent, {
      method: 'POST',
      path: '/v1/jobs',
      headers,
      body: { ...request, kind },
      timeoutMs: config.upstreamTimeoutMs + preferWaitS(headers.prefer) * 1000,
    });
    return relayAnswer(req, reply, agent, answer);
  });

  const forward =
    (method: 'GET' | 'POST' | 'DELETE', suffix = '') =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const job = await routeJob(req, registry);
      const answer = await registry.call(job.agent, {
        method,
        path: job.path + suffix,
        headers: forwardHeaders(req),
        timeoutMs: config.upstreamTimeoutMs,
      });
      return relayAnswer(req, reply, job.agent, answer);
    };
  app.get('/v1/jobs/:job_id', forward('GET'));
  app.post('/v1/jobs/:job_id/cancel', forward('POST', '/cancel'));
  app.delete('/v1/jobs/:job_id', forward('DELETE'));
}

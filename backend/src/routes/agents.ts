import type { FastifyInstance } from 'fastify';
import type { MeshContext } from '../mesh-context.js';

/** `GET /v1/agents`: every known agent with its URL, live health and readiness, and its descriptor. */
export function registerAgentRoutes(app: FastifyInstance, ctx: MeshContext): void {
  app.get('/v1/agents', async () => ctx.registry.statuses());
}

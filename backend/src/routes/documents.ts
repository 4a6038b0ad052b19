import type { FastifyInstance } from 'fastify';
import { DocumentsRequest, parseBody } from '../mesh-schemas.js';
import type { MeshContext } from '../mesh-context.js';
import { forwardHeaders, preferWaitS, relayAnswer } from '../upstream.js';

/** The agent that ingests documents, and the kind it does it with. */
export const INGEST = { agent: 'retriever', kind: 'retrieve.ingest' } as const;

/**
 * `POST /v1/documents`: a `retrieve.ingest` job on the retriever that the mesh waits for (up to
 * `MESH_DOCUMENTS_WAIT_S`, or the client's own `Prefer: wait`), so a small upload answers 200 with
 * the ingest result and a large one 202 with the job to follow.
 */
export function registerDocumentRoutes(app: FastifyInstance, ctx: MeshContext): void {
  app.post('/v1/documents', async (req, reply) => {
    const { documents, deadline_ms } = parseBody(DocumentsRequest, req.body);
    await ctx.registry.knows(INGEST.agent);
    ctx.registry.client(INGEST.agent); // not_found when no retriever is known
    const wait = ctx.config.documentsWaitS;
    const headers = forwardHeaders(
      req,
      req.headers.prefer === undefined && wait > 0 ? { prefer: `wait=${wait}` } : {},
    );
    const answer = await ctx.registry.call(INGEST.agent, {
      method: 'POST',
      path: '/v1/jobs',
      headers,
      body: {
        kind: INGEST.kind,
        input: { documents },
        ...(deadline_ms === undefined ? {} : { deadline_ms }),
      },
      timeoutMs: ctx.config.upstreamTimeoutMs + preferWaitS(headers.prefer) * 1000,
    });
    return relayAnswer(req, reply, INGEST.agent, answer);
  });
}

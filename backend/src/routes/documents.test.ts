import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobAccepted, JobRecord, defineKind, type AgentDefinition } from '@sutazai/agent-kit';
import {
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from '../testing/fixtures/mesh-harness.js';

/** A retriever stand-in with the real `retrieve.ingest` shape: counts paragraphs as chunks. */
const ingestOnly: AgentDefinition = {
  name: 'retriever',
  version: '0.0.1',
  capability: 'retrieve',
  description: 'Ingest stand-in for mesh tests.',
  kinds: {
    'retrieve.ingest': defineKind({
      description: 'Counts paragraphs.',
      input: z
        .object({
          documents: z
            .array(z.object({ source: z.string(), text: z.string() }))
            .min(1)
            .max(100),
        })
        .strict(),
      output: z.object({
        documents: z.array(z.object({ document_id: z.string(), source: z.string(), chunks: z.number() })),
        chunks_total: z.number(),
      }),
      example: { documents: [{ source: 'a.md', text: 'x' }] },
      handler: async (input) => {
        const documents = input.documents.map((d) => ({
          document_id: d.source,
          source: d.source,
          chunks: d.text.split(/\n\n+/).length,
        }));
        return { documents, chunks_total: documents.reduce((n, d) => n + d.chunks, 0) };
      },
    }),
  },
};

let retriever: RunningAgent;
let m: RunningMesh;

beforeAll(async () => {
  retriever = await startAgent('retriever', { definition: ingestOnly });
  m = await startMesh({ orchestrator: retriever.url, retriever: retriever.url });
});
afterAll(async () => {
  await m.close();
  await retriever.close();
});

function ingest(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${m.url}/v1/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const docs = {
  documents: [
    { source: 'README.md', text: 'one\n\ntwo\n\nthree' },
    { source: 'b.md', text: 'x' },
  ],
};

describe('POST /v1/documents', () => {
  it('runs retrieve.ingest on the retriever and waits for the result', async () => {
    const res = await ingest(docs);
    expect(res.status).toBe(200);
    const rec = JobRecord.parse(await res.json());
    expect(rec.job_id).toMatch(/^retriever\./);
    expect(rec).toMatchObject({ kind: 'retrieve.ingest', status: 'succeeded', result: { chunks_total: 4 } });
    expect(res.headers.get('preference-applied')).toBe('wait=60');
  });

  it("answers 202 + Location when the client's Prefer says not to wait", async () => {
    const res = await ingest(docs, { prefer: 'wait=0', 'x-tenant-id': 'acme' });
    expect(res.status).toBe(202);
    const body = JobAccepted.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/v1/jobs/${body.job_id}`);
    const rec = await retriever.service.engine.get('acme', body.job_id.slice('retriever.'.length));
    expect(rec.input).toEqual({ documents: docs.documents });
  });

  it('forwards the Idempotency-Key', async () => {
    const a = JobRecord.parse(await (await ingest(docs, { 'idempotency-key': '"docs-1"' })).json());
    const again = await ingest(docs, { 'idempotency-key': '"docs-1"' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(JobRecord.parse(await again.json()).job_id).toBe(a.job_id);
  });

  it('rejects a malformed body (400) and passes on the retriever’s own validation (422)', async () => {
    const empty = await ingest({ documents: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { code: string }).code).toBe('validation_failed');
    const noText = await ingest({ documents: [{ source: 'a.md' }] });
    expect(noText.status).toBe(422);
    expect(((await noText.json()) as { code: string }).code).toBe('invalid_input');
  });
});

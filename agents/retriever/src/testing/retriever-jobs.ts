import { JobRecord, type AgentService } from '@sutazai/agent-kit';
import { IngestOutput, SearchOutput, type IngestDocument } from '../retrieve-schema.js';

/** Test support: runs one job through the service's HTTP API (`Prefer: wait`) and returns its record. */
export async function runJob(
  app: AgentService['app'],
  kind: string,
  input: unknown,
  tenant = 'default',
): Promise<JobRecord> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { kind, input } as object,
    headers: { prefer: 'wait=10', 'x-tenant-id': tenant },
  });
  if (res.statusCode !== 200) throw new Error(`${kind}: HTTP ${res.statusCode} ${res.body}`);
  return JobRecord.parse(res.json());
}

/** Test support: `retrieve.ingest` that must succeed. */
export async function ingest(
  app: AgentService['app'],
  documents: IngestDocument[],
  tenant = 'default',
): Promise<IngestOutput> {
  const rec = await runJob(app, 'retrieve.ingest', { documents }, tenant);
  if (rec.status !== 'succeeded') throw new Error(`ingest ${rec.status}: ${JSON.stringify(rec.error)}`);
  return IngestOutput.parse(rec.result);
}

/** Test support: `retrieve.search` that must succeed. */
export async function search(
  app: AgentService['app'],
  input: { query: string; top_k?: number; document_ids?: string[] },
  tenant = 'default',
): Promise<SearchOutput> {
  const rec = await runJob(app, 'retrieve.search', input, tenant);
  if (rec.status !== 'succeeded') throw new Error(`search ${rec.status}: ${JSON.stringify(rec.error)}`);
  return SearchOutput.parse(rec.result);
}

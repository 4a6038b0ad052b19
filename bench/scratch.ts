import { startStack } from './lib/stack.js';
import { startModelServer } from './lib/model-server-process.js';
import { MODEL_PROFILES } from './lib/model-profile.js';
import { LoopbackClient } from './lib/http-client.js';
import { benchDocuments } from './lib/corpus.js';
import { summarize } from './lib/stats.js';
const model = await startModelServer(MODEL_PROFILES.zero);
const prof = process.argv[2];
const stack = await startStack({ label: 'embedded', portOffset: 2100, env: { OLLAMA_BASE_URL: model.url, LOG_LEVEL: process.env.LL ?? 'info' }, ...(prof ? { cpuProfDir: prof } : {}) });
console.log(stack.problems);
const r = new LoopbackClient(stack.url('retriever')!);
await r.request('POST', '/v1/jobs', { body: { kind: 'retrieve.ingest', input: { documents: benchDocuments() } }, headers: { prefer: 'wait=60' } });
for (const target of ['mesh', 'orchestrator']) {
  const c = new LoopbackClient(stack.url(target)!);
  const all: number[] = []; const steps: Record<string, number[]> = {};
  for (let i = 0; i < 120; i++) {
    const t0 = performance.now();
    const res = await c.request('POST', '/v1/jobs', { body: { kind: 'rag.answer', input: { question: 'What does the job queue do?' } }, headers: { prefer: 'wait=30' } });
    const ms = performance.now() - t0;
    if (i < 20) continue;
    all.push(ms);
    const rec = JSON.parse(res.body) as { result?: { steps?: { step: string; ms: number }[] }; created_at: string; started_at: string; finished_at: string };
    for (const s of rec.result?.steps ?? []) (steps[s.step] ??= []).push(s.ms);
    (steps['queue'] ??= []).push(Date.parse(rec.started_at) - Date.parse(rec.created_at));
    (steps['run'] ??= []).push(Date.parse(rec.finished_at) - Date.parse(rec.started_at));
  }
  console.log(target, summarize(all).p50.toFixed(2), Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarize(v).p50])));
  c.close();
}
r.close();
await stack.stop(); await model.stop();

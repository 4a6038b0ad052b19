/**
 * End to end: the real processes (five agents and the mesh), driven through the mesh's public API,
 * with and without a model server that speaks Ollama's HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exampleOf,
  startFakeOllama,
  type FakeOllama,
  type FakeOllamaOptions,
  type FakeOllamaPrompt,
} from '@sutazai/agent-kit/testing';
import type { JobEvent, JobRecord } from '@sutazai/agent-kit';
import { readJobEvents } from '@sutazai/agent-kit';
import { startStack, type TestStack } from './helpers/processes.js';

const GUIDE = `# Operating guide

## Starting

Run npm start to launch the whole stack on embedded defaults. The mesh listens on port 10010.

## Queues

Every agent has a bounded queue. When the queue is full the agent answers 503 with a Retry-After header.
Jobs that exhaust their retries move to the dead-letter queue of the agent.
`;

interface RagResult {
  answer: string;
  citations: { chunk_id: string; source: string; quote: string }[];
  verdict: { verdict: string; reasons: string[] };
  mode: string;
  model?: string;
  regenerations: number;
  plan: unknown;
  steps: { step: string; agent: string; job_id: string }[];
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function ingest(stack: TestStack, tenant: string): Promise<void> {
  const res = await post(
    `${stack.mesh.url}/v1/documents`,
    { documents: [{ id: 'guide.md', source: 'guide.md', text: GUIDE, content_type: 'text/markdown' }] },
    { 'x-tenant-id': tenant },
  );
  const body = (await res.json()) as JobRecord;
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.status).toBe('succeeded');
}

async function events(
  stack: TestStack,
  jobId: string,
  tenant: string,
  lastId = 0,
  limit = Infinity,
): Promise<JobEvent[]> {
  const res = await fetch(`${stack.mesh.url}/v1/jobs/${jobId}/events`, {
    headers: { 'x-tenant-id': tenant, 'last-event-id': String(lastId) },
  });
  expect(res.status).toBe(200);
  const out: JobEvent[] = [];
  for await (const ev of readJobEvents(res.body as ReadableStream<Uint8Array>)) {
    out.push(ev);
    if (out.length >= limit) break;
  }
  return out;
}

async function finished(stack: TestStack, jobId: string, tenant: string, ms = 60_000): Promise<JobRecord> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${stack.mesh.url}/v1/jobs/${jobId}`, { headers: { 'x-tenant-id': tenant } });
    const rec = (await res.json()) as JobRecord;
    if (['succeeded', 'failed', 'cancelled', 'expired'].includes(rec.status)) return rec;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${rec.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function chunkIds(text: string): string[] {
  return [...new Set(text.match(/guide\.md#\d+/g) ?? [])];
}

describe('without a model: extractive answers', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ portOffset: 3000 });
    await ingest(stack, 'acme');
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers with citations of chunks that were ingested, verified', async () => {
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'What happens when the queue is full?' } },
      { 'x-tenant-id': 'acme', prefer: 'wait=30' },
    );
    const rec = (await res.json()) as JobRecord;
    expect(res.status, JSON.stringify(rec)).toBe(200);
    expect(rec.status).toBe('succeeded');
    const result = rec.result as RagResult;
    expect(result.mode).toBe('extractive');
    expect(result.citations.length).toBeGreaterThan(0);
    for (const c of result.citations) {
      expect(c.chunk_id).toMatch(/^guide\.md#\d+$/);
      expect(GUIDE).toContain(c.quote.slice(0, 40));
    }
    expect(result.answer).toMatch(/503|Retry-After/);
    expect(['pass', 'fail']).toContain(result.verdict.verdict);
    expect(result.steps.map((s) => s.step.replace(/#\d+$/, ''))).toEqual(
      expect.arrayContaining(['retrieve', 'plan', 'generate', 'verify']),
    );
  });

  it('keeps tenants apart: another tenant finds none of these documents', async () => {
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'What happens when the queue is full?' } },
      { 'x-tenant-id': 'globex', prefer: 'wait=30' },
    );
    const rec = (await res.json()) as JobRecord;
    expect(rec.status).toBe('succeeded');
    expect((rec.result as RagResult).citations).toEqual([]);
    const other = await fetch(`${stack.mesh.url}/v1/jobs/${rec.job_id}`, {
      headers: { 'x-tenant-id': 'acme' },
    });
    expect(other.status).toBe(404);
  });

  it('resumes the event stream through the mesh with Last-Event-ID: none lost, none twice', async () => {
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'How do I start the stack?' } },
      { 'x-tenant-id': 'acme' },
    );
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    const first = await events(stack, job_id, 'acme', 0, 3);
    expect(first.map((e) => e.id)).toEqual([1, 2, 3]);
    const rest = await events(stack, job_id, 'acme', 3);
    const all = [...first, ...rest];
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.type).toBe('job.succeeded');
    expect(all.filter((e) => e.type === 'token').length).toBeGreaterThan(0);
    const again = await events(stack, job_id, 'acme', all.length);
    expect(again).toEqual([]);
  });
});

describe('with a model server speaking the Ollama API', () => {
  let stack: TestStack;
  let ollama: FakeOllama;
  const generatorCalls: string[] = [];
  const state: { mode: 'good' | 'regenerate' } = { mode: 'good' };
  const opts: FakeOllamaOptions = {
    loadedOnStart: true,
    respond: (req: FakeOllamaPrompt) => {
      const text = [req.system ?? '', req.prompt ?? '', ...(req.messages ?? []).map((m) => m.content)].join(
        '\n',
      );
      const format = req.format as Record<string, unknown> | undefined;
      if (format && typeof format === 'object') {
        const props = (format.properties ?? {}) as Record<string, unknown>;
        if ('supported' in props) {
          const unsupported = /cheese/i.test(text);
          return JSON.stringify({
            supported: !unsupported,
            reasons: unsupported ? ['the moon claim is not in the passages'] : [],
          });
        }
        return JSON.stringify(exampleOf(format, format));
      }
      generatorCalls.push(text);
      const id = chunkIds(text)[0] ?? 'guide.md#0';
      if (state.mode === 'regenerate' && generatorCalls.length === 1)
        return `The moon is made of cheese [${id}].`;
      return `When the queue is full the agent answers 503 with a Retry-After header [${id}].`;
    },
  };

  beforeAll(async () => {
    ollama = await startFakeOllama(opts);
    stack = await startStack({
      portOffset: 3100,
      env: { OLLAMA_BASE_URL: ollama.url, MODEL_ID: 'tinyllama' },
    });
    await ingest(stack, 'acme');
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await ollama?.close();
  });

  it('streams model tokens and cites ingested chunks', async () => {
    generatorCalls.length = 0;
    state.mode = 'good';
    opts.tokenDelayMs = 5;
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'What happens when the queue is full?' } },
      { 'x-tenant-id': 'acme' },
    );
    const { job_id } = (await res.json()) as { job_id: string };
    const evs = await events(stack, job_id, 'acme');
    const rec = await finished(stack, job_id, 'acme');
    expect(rec.status).toBe('succeeded');
    const result = rec.result as RagResult;
    expect(result.mode).toBe('model');
    expect(result.model).toMatch(/tinyllama/);
    expect(result.citations.map((c) => c.chunk_id).every((id) => /^guide\.md#\d+$/.test(id))).toBe(true);
    const tokens = evs
      .filter((e) => e.type === 'token')
      .map((e) => String(e.data.text))
      .join('');
    expect(tokens.length).toBeGreaterThan(10);
    expect(result.answer).toContain('Retry-After');
    expect(result.verdict.verdict).toBe('pass');
  });

  it('regenerates once when the verifier rejects the first answer', async () => {
    generatorCalls.length = 0;
    state.mode = 'regenerate';
    opts.tokenDelayMs = 0;
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'What happens when the queue is full?', max_regenerations: 1 } },
      { 'x-tenant-id': 'acme', prefer: 'wait=30' },
    );
    const rec = (await res.json()) as JobRecord;
    expect(rec.status, JSON.stringify(rec.error)).toBe('succeeded');
    const result = rec.result as RagResult;
    expect(result.regenerations).toBe(1);
    expect(generatorCalls.length).toBe(2);
    expect(result.answer).not.toMatch(/cheese/);
    expect(result.verdict.verdict).toBe('pass');
    state.mode = 'good';
  });

  it('ends a job expired when its deadline is shorter than the pipeline, with no step running past it', async () => {
    opts.tokenDelayMs = 200;
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'What happens when the queue is full?' }, deadline_ms: 1500 },
      { 'x-tenant-id': 'acme' },
    );
    const { job_id } = (await res.json()) as { job_id: string };
    const evs = await events(stack, job_id, 'acme');
    const rec = await finished(stack, job_id, 'acme');
    opts.tokenDelayMs = 0;
    expect(rec.status).toBe('expired');
    const deadline = Date.parse(rec.deadline_at);
    const childIds = new Set(
      evs
        .filter(
          (e) => e.type === 'step.started' && typeof e.data.job_id === 'string' && e.data.child === undefined,
        )
        .map((e) => `${String(e.data.agent)}.${String(e.data.job_id)}`),
    );
    expect(childIds.size).toBeGreaterThan(0);
    for (const id of childIds) {
      const child = await finished(stack, id, 'acme', 10_000);
      if (child.finished_at) expect(Date.parse(child.finished_at)).toBeLessThanOrEqual(deadline + 500);
      expect(Date.parse(child.deadline_at)).toBeLessThanOrEqual(deadline);
    }
  });

  it('fails cleanly with a problem naming the step when the generator dies mid-run', async () => {
    opts.tokenDelayMs = 150;
    const res = await post(
      `${stack.mesh.url}/v1/jobs`,
      { input: { question: 'How do I start the stack?' }, deadline_ms: 45_000 },
      { 'x-tenant-id': 'acme' },
    );
    const { job_id } = (await res.json()) as { job_id: string };
    const stream = await fetch(`${stack.mesh.url}/v1/jobs/${job_id}/events`, {
      headers: { 'x-tenant-id': 'acme' },
    });
    const seen: JobEvent[] = [];
    const t0 = Date.now();
    for await (const ev of readJobEvents(stream.body as ReadableStream<Uint8Array>)) {
      seen.push(ev);
      if (ev.type === 'token' && seen.filter((e) => e.type === 'token').length === 2) stack.kill('generator');
    }
    const rec = await finished(stack, job_id, 'acme');
    expect(rec.status).toBe('failed');
    expect(rec.error?.code).toMatch(/dependency_(unavailable|failed)/);
    expect(rec.error?.detail ?? '').toMatch(/generat/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(seen.at(-1)?.type).toBe('job.failed');
  });
});

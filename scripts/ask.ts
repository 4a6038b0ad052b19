/**
 * Asks a question through the Backend Mesh and prints the answer as it is generated.
 *
 *   npm run ask -- "How do I start the stack?" [--tenant T] [--agent A] [--kind K] [--top-k N]
 *                                              [--timeout-s S] [--json]
 *
 * Generated text streams to stdout as `token` events arrive; step progress goes to stderr; then
 * the citations (chunk id, source, quoted passage), the verifier's verdict with its reasons and
 * which model (or the extractive fallback) answered. `MESH_URL` (default http://127.0.0.1:10010)
 * names the mesh. Exit codes: 0 answered, 1 the job failed (or was cancelled or expired),
 * 2 bad usage, 3 the mesh refused the request or could not be reached, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentClient, type JobEvent, type JobRecord } from '@sutazai/agent-kit';

/** Where {@link runAsk} writes and what it reads. */
export interface AskIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Aborts the run (Ctrl-C): the job is cancelled and the exit code is 130. */
  signal?: AbortSignal;
}

/** Default address of the mesh. */
export const DEFAULT_MESH_URL = 'http://127.0.0.1:10010';

const USAGE = `usage: npm run ask -- "question" [--tenant T] [--agent A] [--kind K] [--top-k N] [--timeout-s S] [--json]
  MESH_URL   the Backend Mesh (default ${DEFAULT_MESH_URL})`;

interface AskOptions {
  question: string;
  meshUrl: string;
  tenant: string | undefined;
  agent: string;
  kind: string | undefined;
  topK: number | undefined;
  timeoutMs: number;
  json: boolean;
}

class UsageError extends Error {}

function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): AskOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        agent: { type: 'string' },
        kind: { type: 'string' },
        'top-k': { type: 'string' },
        'timeout-s': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  const question = positionals.join(' ').trim();
  if (!question) throw new UsageError('a question is required');
  const meshUrl = (env.MESH_URL || DEFAULT_MESH_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(meshUrl)) throw new UsageError(`MESH_URL must be an http(s) URL (got ${meshUrl})`);
  return {
    question,
    meshUrl,
    tenant: values.tenant,
    agent: values.agent ?? 'orchestrator',
    kind: values.kind,
    topK: intOption('top-k', values['top-k'], 1, 50),
    timeoutMs: (intOption('timeout-s', values['timeout-s'], 1, 3600) ?? 300) * 1000,
    json: values.json,
  };
}

/** The parts of a `rag.answer` result this command prints; anything else is printed as JSON. */
interface RagAnswer {
  answer: string;
  citations?: { chunk_id: string; source?: string; quote?: string }[];
  verdict?: { verdict: string; score?: number; reasons?: string[] };
  mode?: string;
  model?: string;
  regenerations?: number;
}

function isRagAnswer(value: unknown): value is RagAnswer {
  return typeof value === 'object' && value !== null && typeof (value as RagAnswer).answer === 'string';
}

const oneLine = (s: string, max = 400): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Renders the end of an answer: final text (when it differs from what streamed), sources, verdict, model. */
export function renderAnswer(result: RagAnswer, streamed: string): string {
  const out: string[] = [];
  if (streamed.trim() === '') out.push(result.answer.trim(), '');
  else if (streamed.trim() !== result.answer.trim()) out.push('', 'Final answer:', result.answer.trim(), '');
  else out.push('');
  const citations = result.citations ?? [];
  out.push(citations.length ? 'Sources:' : 'Sources: none cited');
  citations.forEach((c, i) => {
    out.push(`  [${i + 1}] ${c.chunk_id}${c.source ? ` (${c.source})` : ''}`);
    if (c.quote) out.push(`      "${oneLine(c.quote)}"`);
  });
  if (result.verdict) {
    const score =
      typeof result.verdict.score === 'number' ? ` (score ${result.verdict.score.toFixed(2)})` : '';
    out.push(`Verdict: ${result.verdict.verdict}${score}`);
    for (const reason of result.verdict.reasons ?? []) out.push(`  - ${reason}`);
  }
  const by =
    result.mode === 'extractive'
      ? 'extractive (quoted from the sources; no model answered)'
      : result.model
        ? `model ${result.model}`
        : (result.mode ?? 'unknown');
  out.push(`Answered by: ${by}`);
  if (result.regenerations) out.push(`Regenerations: ${result.regenerations}`);
  return `${out.join('\n')}\n`;
}

function stepLine(ev: JobEvent): string | undefined {
  const d = ev.data;
  // Steps relayed from inside a child job repeat the orchestrator's own; show each step once.
  if (d.child !== undefined) return undefined;
  const step = typeof d.step === 'string' ? d.step : undefined;
  const extra = [
    typeof d.agent === 'string' ? d.agent : undefined,
    typeof d.attempt === 'number' && d.attempt > 1 ? `attempt ${d.attempt}` : undefined,
    typeof d.ms === 'number' ? `${Math.round(d.ms)} ms` : undefined,
  ].filter(Boolean);
  const suffix = extra.length ? ` (${extra.join(', ')})` : '';
  switch (ev.type) {
    case 'job.started':
      return '… started';
    case 'job.retrying':
      return `↻ retrying${typeof d.attempt === 'number' ? ` (attempt ${d.attempt})` : ''}`;
    case 'step.started':
      return step ? `→ ${step}${suffix}` : undefined;
    case 'step.completed':
      return step ? `✓ ${step}${suffix}` : undefined;
    default:
      return undefined;
  }
}

async function submit(opts: AskOptions, fetchFn: typeof fetch, signal?: AbortSignal): Promise<Response> {
  const body = JSON.stringify({
    agent: opts.agent,
    ...(opts.kind ? { kind: opts.kind } : {}),
    input: { question: opts.question, ...(opts.topK === undefined ? {} : { top_k: opts.topK }) },
    deadline_ms: opts.timeoutMs,
  });
  // One key for every attempt: a submit retried after a refusal is never run twice.
  const key = JSON.stringify(`ask-${randomUUID()}`);
  for (let attempt = 1; ; attempt++) {
    const res = await fetchFn(`${opts.meshUrl}/v1/jobs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': key,
        ...(opts.tenant ? { 'x-tenant-id': opts.tenant } : {}),
      },
      body,
      ...(signal ? { signal } : {}),
    });
    if ((res.status !== 503 && res.status !== 429) || attempt >= 4) return res;
    const wait = Math.min(5, Number(res.headers.get('retry-after')) || 1);
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

/** Runs the command; resolves to its exit code. */
export async function runAsk(argv: string[], io: AskIo): Promise<number> {
  let opts: AskOptions;
  try {
    opts = parseOptions(argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message ? `${err.message}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const fetchFn = io.fetch ?? globalThis.fetch;
  const deadlineAt = Date.now() + opts.timeoutMs + 10_000;
  const tenantId = opts.tenant ?? 'default';

  let res: Response;
  try {
    res = await submit(opts, fetchFn, io.signal);
  } catch (err) {
    if (io.signal?.aborted) return 130;
    io.stderr.write(
      `mesh unreachable at ${opts.meshUrl}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 3;
  }
  const accepted = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 202 && res.status !== 200) {
    const detail = typeof accepted.detail === 'string' ? `: ${accepted.detail}` : '';
    const code = typeof accepted.code === 'string' ? accepted.code : `HTTP ${res.status}`;
    const trace = typeof accepted.trace_id === 'string' ? ` [trace ${accepted.trace_id}]` : '';
    io.stderr.write(`the mesh refused the question: ${code}${detail}${trace}\n`);
    return 3;
  }
  const jobId = String(accepted.job_id);
  io.stderr.write(`job ${jobId} (tenant ${tenantId}, trace ${res.headers.get('x-trace-id') ?? '?'})\n`);

  const client = new AgentClient({ baseUrl: opts.meshUrl, name: 'mesh', fetch: fetchFn });
  const ctx = { tenantId, deadlineAt, ...(io.signal ? { signal: io.signal } : {}) };
  let streamed = '';
  let generations = 0;
  let record: JobRecord;
  try {
    for await (const ev of client.events(jobId, ctx)) {
      const isGeneration =
        ev.type === 'step.started' &&
        ev.data.child === undefined &&
        typeof ev.data.step === 'string' &&
        /^generate(#\d+)?$/.test(ev.data.step);
      if (isGeneration && ++generations > 1) {
        io.stderr.write("↻ regenerating with the verifier's feedback\n");
        if (!opts.json && streamed) io.stdout.write(streamed.endsWith('\n') ? '\n' : '\n\n');
        streamed = '';
      }
      if (ev.type === 'token' && typeof ev.data.text === 'string') {
        streamed += ev.data.text;
        if (!opts.json) io.stdout.write(ev.data.text);
        continue;
      }
      const line = stepLine(ev);
      if (line) {
        // Finish the streamed text's line before progress continues below it.
        if (!opts.json && streamed && !streamed.endsWith('\n')) {
          io.stdout.write('\n');
          streamed += '\n';
        }
        io.stderr.write(`${line}\n`);
      }
    }
    record = await client.get(jobId, ctx);
  } catch (err) {
    if (io.signal?.aborted) {
      await client.cancel(jobId, { tenantId }).catch(() => undefined);
      io.stderr.write(`\ninterrupted; asked the mesh to cancel ${jobId}\n`);
      return 130;
    }
    io.stderr.write(`\nlost the job ${jobId}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (streamed && !opts.json && !streamed.endsWith('\n')) io.stdout.write('\n');

  if (opts.json) io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  if (record.status !== 'succeeded') {
    const e = record.error;
    io.stderr.write(
      `job ${record.status}${e ? `: ${e.code}${e.detail ? ` — ${e.detail}` : ''} [trace ${e.trace_id}]` : ''}\n`,
    );
    return 1;
  }
  if (!opts.json) {
    io.stdout.write(
      isRagAnswer(record.result)
        ? renderAnswer(record.result, streamed)
        : `${JSON.stringify(record.result, null, 2)}\n`,
    );
  }
  return 0;
}

const invokedAs = process.argv[1];
if (invokedAs && pathToFileURL(realpathSync(invokedAs)).href === import.meta.url) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  process.exitCode = await runAsk(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
}

/**
 * The direct in-process chain: the four capabilities called one after another as plain functions —
 * each agent's own factory and job handlers, imported from its package — with no HTTP, no queue, no
 * job records and no event streams. What the pipeline costs on top of this is the platform.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentMetrics,
  loadConfig,
  noopLogger,
  type AgentFactoryResult,
  type AgentRuntime,
  type JobContext,
} from '@sutazai/agent-kit';
import { discoverAgents } from '../../scripts/lib/workspace.js';
import { benchDocuments, benchQuestions } from './corpus.js';
import { closedLoop, sequential, tally } from './load.js';
import type { ChainResult } from './results.js';
import { ecdf, summarize } from './stats.js';

/** The capabilities of the chain, by the capability name they offer. */
const CHAIN = ['retrieve', 'plan', 'generate', 'verify'] as const;

/** A loaded capability set, or why it cannot run. */
export interface Chain {
  /** Capabilities not found among the registered agents (the chain cannot run while any is missing). */
  missing: string[];
  /** Answers one question through retrieve → plan → generate → verify (→ generate → verify once more on a failed verdict). */
  answer(question: string): Promise<{ verdict: string }>;
  /** Milliseconds of each call, by kind, since the last reset. */
  stepMs: Map<string, number[]>;
  close(): Promise<void>;
}

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A job context for a direct call: never cancelled, events and tokens dropped. */
function directContext(step: string): JobContext {
  const deadlineAt = Date.now() + 60_000;
  return {
    jobId: `chain-${step}`,
    tenantId: 'default',
    traceId: TRACEPARENT.slice(3, 35),
    traceparent: TRACEPARENT,
    attempt: 1,
    deadlineAt,
    signal: new AbortController().signal,
    log: noopLogger,
    remainingMs: () => Math.max(0, deadlineAt - Date.now()),
    idempotencyKey: (s) => `chain-${step}-${s}`,
    emit: async () => undefined,
    token: async () => undefined,
    decided: () => undefined,
  };
}

type Call = (kind: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Builds each registered capability agent in this process, from its package's factory. */
export async function loadChain(env: Record<string, string>): Promise<Chain> {
  const dataRoot = mkdtempSync(join(tmpdir(), 'sutazai-bench-chain-'));
  const built: AgentFactoryResult[] = [];
  const calls = new Map<string, Call>();
  const missing: string[] = [];
  const stepMs = new Map<string, number[]>();
  for (const capability of CHAIN) {
    const pkg = discoverAgents().find((a) => a.capability === capability);
    if (!pkg?.factory) {
      missing.push(capability);
      continue;
    }
    const mod = (await import(pkg.packageName)) as Record<string, unknown>;
    const factory = mod[pkg.factory] as
      ((rt: AgentRuntime) => Promise<AgentFactoryResult> | AgentFactoryResult) | undefined;
    if (typeof factory !== 'function') {
      missing.push(capability);
      continue;
    }
    const config = loadConfig(
      { ...process.env, ...env, DATA_DIR: join(dataRoot, pkg.agent) },
      { agentName: pkg.agent, port: pkg.port },
    );
    const metrics = new AgentMetrics({ namespace: config.prometheusNamespace, agent: pkg.agent });
    const b = await factory({ config, logger: noopLogger, metrics });
    await b.afterListen?.();
    built.push(b);
    calls.set(capability, async (kind, input) => {
      const k = b.definition.kinds[kind];
      if (!k) throw new Error(`${pkg.agent} has no kind ${kind}`);
      const t0 = performance.now();
      // Parsing applies the schema's defaults, which the handlers rely on.
      const out = (await k.handler(k.input.parse(input), directContext(kind))) as Record<string, unknown>;
      const times = stepMs.get(kind) ?? [];
      times.push(performance.now() - t0);
      stepMs.set(kind, times);
      return out;
    });
  }
  const call = (capability: string): Call => {
    const c = calls.get(capability);
    if (!c) throw new Error(`capability ${capability} is missing`);
    return c;
  };
  if (missing.length === 0) {
    await call('retrieve')('retrieve.ingest', { documents: benchDocuments() });
  }
  stepMs.clear();
  return {
    missing,
    stepMs,
    async answer(question) {
      const { passages } = (await call('retrieve')('retrieve.search', { query: question, top_k: 5 })) as {
        passages: { chunk_id: string; source: string; text: string; score?: number }[];
      };
      const { plan } = await call('plan')('plan.create', {
        question,
        context: passages.map((p) => ({
          chunk_id: p.chunk_id,
          source: p.source,
          text: p.text,
          score: p.score,
        })),
      });
      let feedback: string[] | undefined;
      for (let attempt = 0; ; attempt++) {
        const generated = await call('generate')('generate.answer', {
          question,
          passages,
          plan,
          ...(feedback ? { feedback } : {}),
        });
        const verified = (await call('verify')('verify.answer', {
          question,
          answer: generated.answer,
          citations: generated.citations,
          passages,
        })) as { verdict: string; reasons: string[] };
        if (verified.verdict === 'pass' || attempt >= 1) return { verdict: verified.verdict };
        feedback = verified.reasons;
      }
    },
    async close() {
      for (const b of built) await b.close?.();
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

/** Sizes of the chain measurement. */
export interface ChainPlan {
  n: number;
  maxMs: number;
  durationMs: number;
  /** Answers in flight for the throughput figure (the pipelines' concurrency, to compare). */
  concurrency: number;
}

/** The chain baseline: `n` answers one at a time (with each call's time), then answers/s. */
export async function measureChain(modelUrl: string, plan: ChainPlan): Promise<ChainResult> {
  const chain = await loadChain({ OLLAMA_BASE_URL: modelUrl, MODEL_ID: 'tinyllama', LOG_LEVEL: 'silent' });
  try {
    if (chain.missing.length) return { missing: chain.missing };
    const questions = benchQuestions();
    let i = 0;
    const notes: Record<string, number> = {};
    const fire = async (): Promise<{ outcome: 'ok' }> => {
      const { verdict } = await chain.answer(questions[i++ % questions.length] ?? '');
      notes[`verdict ${verdict}`] = (notes[`verdict ${verdict}`] ?? 0) + 1;
      return { outcome: 'ok' };
    };
    await sequential(10, plan.maxMs, fire); // warm-up
    chain.stepMs.clear();
    const seq = await sequential(plan.n, plan.maxMs, fire);
    const stepP50 = Object.fromEntries([...chain.stepMs].map(([kind, ms]) => [kind, summarize(ms).p50]));
    const ms = seq.samples.filter((s) => s.outcome === 'ok').map((s) => s.ms);
    const load = await closedLoop({ concurrency: plan.concurrency, durationMs: plan.durationMs, fire });
    return {
      missing: [],
      latency: { ...summarize(ms), source: 'client', cdf: ecdf(ms, 120) },
      perS: tally(load).okPerS,
      concurrency: plan.concurrency,
      notes,
      stepP50,
      ...(seq.samples.some((s) => s.outcome !== 'ok') ? { error: JSON.stringify(seq.notes) } : {}),
    };
  } finally {
    await chain.close();
  }
}

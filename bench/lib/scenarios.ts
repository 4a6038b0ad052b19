/**
 * The platform scenarios on one running stack: single tasks, RAG end to end, one agent and whole
 * pipelines under load (capacity, 50 %, 90 %, 10×), first with the zero-latency model (platform
 * overhead), then with the tinyllama-like one (the SLO numbers).
 */
import { benchDocuments, benchQuestions, samplePassages } from './corpus.js';
import { LoopbackClient } from './http-client.js';
import { jobFire, type JobCall } from './jobs.js';
import { closedLoop, interleaved, openLoop, sequential, tally, type Fire, type LoadRun } from './load.js';
import { fmtMs } from './report.js';
import { MODEL_PROFILES, groundedAnswer } from './model-profile.js';
import type { ModelServer } from './model-server-process.js';
import type { BenchPlan } from './plan.js';
import { aroundHistogram, clientLatency, phase, recordsQueue, settle } from './phase.js';
import type { Latency, LoadPhase, StackResult } from './results.js';
import type { BenchStack } from './stack.js';

const MAX_IN_FLIGHT = 4096;

/** What the scenarios run against. */
export interface ScenarioContext {
  stack: BenchStack;
  model: ModelServer;
  plan: BenchPlan;
  log: (line: string) => void;
}

/** Ingests the bench corpus through the retriever's job API (setup, not measured). */
async function ingest(url: string): Promise<void> {
  const client = new LoopbackClient(url);
  try {
    const res = await client.request('POST', '/v1/jobs', {
      body: { kind: 'retrieve.ingest', input: { documents: benchDocuments() } },
      headers: { prefer: 'wait=60' },
      timeoutMs: 90_000,
    });
    const rec = JSON.parse(res.body) as { status?: string };
    if (res.status !== 200 || rec.status !== 'succeeded') {
      throw new Error(`ingest answered ${res.status} ${res.body.slice(0, 200)}`);
    }
  } finally {
    client.close();
  }
}

/** The single-task calls: the non-retrieval agents with fixed, realistic inputs. */
function singleCalls(): Record<string, JobCall> {
  const passages = samplePassages();
  const question = 'What does the job queue do?';
  const answer = groundedAnswer(passages.map((p) => `[${p.chunk_id}] ${p.text}`).join('\n\n'));
  const cited = passages.filter((p) => answer.includes(`[${p.chunk_id}]`));
  return {
    planner: {
      kind: 'plan.create',
      input: { question, context: passages },
      waitS: 30,
      tag: (r) => `planner ${(r as { planner?: string }).planner ?? '?'}`,
    },
    verifier: {
      kind: 'verify.answer',
      input: {
        question,
        answer,
        citations: cited.map((p) => ({ chunk_id: p.chunk_id, source: p.source, quote: p.text.slice(0, 80) })),
        passages,
      },
      waitS: 30,
      tag: (r) => `verdict ${(r as { verdict?: string }).verdict ?? '?'}`,
    },
  };
}

function ragCall(deadlineMs?: number): JobCall {
  const questions = benchQuestions();
  let i = 0;
  return {
    kind: 'rag.answer',
    input: () => ({ question: questions[i++ % questions.length] ?? '' }),
    waitS: 30,
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
    tag: (r) => {
      const res = r as { verdict?: { verdict?: string }; mode?: string; regenerations?: number };
      return `verdict ${res.verdict?.verdict ?? '?'}, ${res.mode ?? '?'}, regenerations ${res.regenerations ?? '?'}`;
    },
    // The orchestrator's own timing of each step (submit → terminal record), summed over passes.
    parts: (r) => {
      const out: Record<string, number> = {};
      for (const s of (r as { steps?: { step?: string; ms?: number }[] }).steps ?? []) {
        if (s.step && typeof s.ms === 'number') out[s.step] = (out[s.step] ?? 0) + s.ms;
      }
      return out;
    },
  };
}

/** Load on one target: capacity with `concurrency` clients, then 50 %, 90 % and 10× of it. */
async function loadSeries(
  ctx: ScenarioContext,
  client: LoopbackClient,
  call: (deadlineMs?: number) => JobCall,
  sizes: BenchPlan['agent'],
  queueSource: { url: string; agent: string } | undefined,
  decisionUrl: string | undefined,
): Promise<{
  capacity: LoadPhase;
  at50: LoadPhase;
  at90: LoadPhase;
  overload: LoadPhase;
  decision90?: Latency;
}> {
  const fire: Fire = jobFire(client, call());
  await closedLoop({ concurrency: sizes.concurrency, durationMs: 500, fire }); // warm-up
  const capRun = await closedLoop({ concurrency: sizes.concurrency, durationMs: sizes.capacityMs, fire });
  const capacity = phase(capRun, {
    concurrency: sizes.concurrency,
    queue: { records: recordsQueue(capRun) },
  });
  const cap = Math.max(1, capacity.tally.okPerS);
  ctx.log(`  capacity ${cap.toFixed(1)}/s with ${sizes.concurrency} in flight`);
  await settle(ctx.stack);
  const open = async (
    factor: number,
    ms: number,
    deadlineMs?: number,
  ): Promise<[LoadPhase, Latency | undefined]> => {
    const f = jobFire(client, call(deadlineMs));
    const rate = cap * factor;
    let decision: Latency | undefined;
    const [run, queueHist] = await aroundHistogram(
      queueSource?.url,
      'queue_time_ms',
      queueSource ? { agent: queueSource.agent } : {},
      async () => {
        const [r, d] = await aroundHistogram(
          decisionUrl,
          'decision_latency_ms',
          { agent: 'orchestrator' },
          () =>
            openLoop({
              ratePerS: rate,
              durationMs: ms,
              maxInFlight: MAX_IN_FLIGHT,
              drainMs: 45_000,
              fire: f,
            }),
        );
        decision = d;
        return r;
      },
    );
    const t = tally(run);
    ctx.log(
      `  ${factor * 100}% (${rate.toFixed(0)}/s): ok ${t.ok}, shed ${t.shed}, expired ${t.expired}, failed ${t.failed}`,
    );
    await settle(ctx.stack);
    const queue = { records: recordsQueue(run), ...(queueHist ? { histogram: queueHist } : {}) };
    return [phase(run, { offeredPerS: rate, queue }), decision];
  };
  const [at50] = await open(0.5, sizes.steadyMs);
  const [at90, decision90] = await open(0.9, sizes.steadyMs);
  const [overload] = await open(10, sizes.overloadMs, ctx.plan.overloadDeadlineMs);
  return { capacity, at50, at90, overload, ...(decision90 ? { decision90 } : {}) };
}

/**
 * Each single-task agent, `n` requests, `concurrency` at a time. Above 1 only with the slow model:
 * the bench's model server answers requests in parallel and the agents are nearly idle, so each
 * sample is still the latency of a lone request, taken in a fraction of the time.
 */
async function singleTasks(
  ctx: ScenarioContext,
  n: number,
  maxMs: number,
  opts: { warmUp: boolean; concurrency: number },
): Promise<Record<string, { latency: Latency; notes: Record<string, number> }>> {
  const out: Record<string, { latency: Latency; notes: Record<string, number> }> = {};
  for (const [agent, call] of Object.entries(singleCalls())) {
    const url = ctx.stack.url(agent);
    if (!url) continue;
    const client = new LoopbackClient(url);
    const fire = jobFire(client, call);
    if (opts.warmUp) await sequential(Math.min(20, n), maxMs, fire);
    const run = await closedLoop({ concurrency: opts.concurrency, durationMs: maxMs, maxRequests: n, fire });
    client.close();
    out[agent] = { latency: clientLatency(run, true), notes: { ...run.notes, ...failures(run) } };
    ctx.log(`  ${agent}: p50 ${out[agent].latency.p50.toFixed(2)} ms over ${run.samples.length}`);
  }
  return out;
}

function failures(run: LoadRun): Record<string, number> {
  const t = tally(run);
  return t.failed + t.shed + t.expired > 0 ? { 'not ok': t.failed + t.shed + t.expired } : {};
}

/** Runs every scenario on a started stack. */
export async function measureStack(ctx: ScenarioContext): Promise<StackResult> {
  const { stack, plan } = ctx;
  const result: StackResult = { label: stack.label, problems: [...stack.problems], zero: { single: {} } };
  const retriever = stack.url('retriever');
  if (retriever) {
    await ingest(retriever).catch((err: unknown) =>
      result.problems.push({ name: 'retriever', reason: `ingest failed: ${String(err)}` }),
    );
  }
  const orchestrator = stack.url('orchestrator');
  const ragUrl = stack.url('mesh') ?? orchestrator;
  if (ragUrl) result.ragEntry = stack.url('mesh') ? 'mesh' : 'orchestrator';

  ctx.log(`[${stack.label}] single tasks, zero-latency model`);
  result.zero.single = await singleTasks(ctx, plan.single.n, plan.single.maxMs, {
    warmUp: true,
    concurrency: 1,
  });

  const ragClient = ragUrl ? new LoopbackClient(ragUrl) : undefined;
  if (ragClient && retriever) {
    ctx.log(`[${stack.label}] RAG end to end via ${result.ragEntry}, zero-latency model`);
    const fire = jobFire(ragClient, ragCall());
    await sequential(10, plan.rag.maxMs, fire); // warm-up
    // Through the mesh and straight to the orchestrator in turns: the mesh hop is the difference.
    const direct = orchestrator && result.ragEntry === 'mesh' ? new LoopbackClient(orchestrator) : undefined;
    const fires = direct ? [fire, jobFire(direct, ragCall())] : [fire];
    const [runs, decision] = await aroundHistogram(
      orchestrator,
      'decision_latency_ms',
      { agent: 'orchestrator' },
      () => interleaved(plan.rag.n, plan.rag.maxMs, fires),
    );
    direct?.close();
    const [run, directRun] = runs;
    if (run) result.zero.rag = phase(run, { latency: clientLatency(run, true) });
    if (directRun) result.zero.ragDirect = phase(directRun);
    if (decision) result.zero.decision = decision;
    ctx.log(
      `  p50 ${fmtMs(result.zero.rag?.latency.p50)} over ${run?.samples.length ?? 0}` +
        (directRun ? `, straight to the orchestrator ${fmtMs(result.zero.ragDirect?.latency.p50)}` : ''),
    );
  }

  const agentName = 'planner';
  const agentUrl = stack.url(agentName);
  if (agentUrl) {
    ctx.log(`[${stack.label}] ${agentName} under load`);
    const client = new LoopbackClient(agentUrl);
    const call = singleCalls()[agentName];
    if (call) {
      const s = await loadSeries(
        ctx,
        client,
        (deadlineMs) => ({ ...call, ...(deadlineMs === undefined ? {} : { deadlineMs }) }),
        plan.agent,
        { url: agentUrl, agent: agentName },
        undefined,
      );
      result.zero.agent = {
        name: agentName,
        capacity: s.capacity,
        at50: s.at50,
        at90: s.at90,
        overload: s.overload,
      };
    }
    client.close();
  }

  if (ragClient && retriever) {
    ctx.log(`[${stack.label}] pipelines under load`);
    const s = await loadSeries(ctx, ragClient, ragCall, plan.pipeline, undefined, orchestrator);
    result.zero.pipeline = {
      capacity: s.capacity,
      sustained: s.at90,
      overload: s.overload,
      ...(s.decision90 ? { decisionUnderLoad: s.decision90 } : {}),
    };
  }

  ctx.log(`[${stack.label}] SLO phase, tinyllama-like model`);
  await ctx.model.setProfile(MODEL_PROFILES.tinyllama);
  try {
    const concurrency = plan.slo.concurrency;
    result.slo = {
      single: await singleTasks(ctx, plan.slo.singleN, plan.slo.maxMs, { warmUp: false, concurrency }),
    };
    if (ragClient && retriever) {
      const fire = jobFire(ragClient, ragCall());
      const [run, decision] = await aroundHistogram(
        orchestrator,
        'decision_latency_ms',
        { agent: 'orchestrator' },
        () => closedLoop({ concurrency, durationMs: plan.slo.maxMs, maxRequests: plan.slo.ragN, fire }),
      );
      result.slo.rag = phase(run, { latency: clientLatency(run, true) });
      if (decision) result.slo.decision = decision;
      ctx.log(`  RAG p50 ${result.slo.rag.latency.p50.toFixed(0)} ms over ${run.samples.length}`);
    }
  } finally {
    await ctx.model.setProfile(MODEL_PROFILES.zero);
  }
  ragClient?.close();
  return result;
}

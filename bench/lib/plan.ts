/** How long and how hard each phase runs: the full run (≤ 5 min on 2 cores) and `--quick` (≤ 60 s). */

/** Sizes of every phase. */
export interface BenchPlan {
  mode: 'full' | 'quick';
  /** Stacks to measure. */
  stacks: ('embedded' | 'redis-postgres')[];
  /** One task at a time (planner, verifier), zero-latency model. */
  single: { n: number; maxMs: number };
  /** RAG questions one at a time, zero-latency model. */
  rag: { n: number; maxMs: number };
  /** The same with the tinyllama-like model (the SLO numbers), `concurrency` at a time. */
  slo: { singleN: number; ragN: number; maxMs: number; concurrency: number };
  /** One agent under load: capacity (closed loop), then 50 %, 90 % and 10× of it (open loop). */
  agent: { concurrency: number; capacityMs: number; steadyMs: number; overloadMs: number };
  /** Whole pipelines under load, the same way. */
  pipeline: { concurrency: number; capacityMs: number; steadyMs: number; overloadMs: number };
  /** Deadline given to jobs in overload phases, so what cannot be served in time expires. */
  overloadDeadlineMs: number;
  /** Baselines. */
  baseline: { n: number; maxMs: number; durationMs: number };
  chain: { n: number; maxMs: number; durationMs: number };
}

/** The plan of a mode. */
export function benchPlan(mode: 'full' | 'quick'): BenchPlan {
  if (mode === 'quick') {
    return {
      mode,
      stacks: ['embedded'],
      single: { n: 50, maxMs: 800 },
      rag: { n: 16, maxMs: 1200 },
      slo: { singleN: 2, ragN: 2, maxMs: 12_000, concurrency: 2 },
      agent: { concurrency: 16, capacityMs: 1000, steadyMs: 1000, overloadMs: 800 },
      pipeline: { concurrency: 8, capacityMs: 1000, steadyMs: 1000, overloadMs: 800 },
      overloadDeadlineMs: 3000,
      baseline: { n: 100, maxMs: 1000, durationMs: 1000 },
      chain: { n: 20, maxMs: 1500, durationMs: 1000 },
    };
  }
  return {
    mode,
    stacks: ['embedded', 'redis-postgres'],
    single: { n: 300, maxMs: 5000 },
    rag: { n: 150, maxMs: 10_000 },
    slo: { singleN: 8, ragN: 8, maxMs: 30_000, concurrency: 4 },
    agent: { concurrency: 16, capacityMs: 4000, steadyMs: 6000, overloadMs: 3000 },
    pipeline: { concurrency: 8, capacityMs: 4000, steadyMs: 6000, overloadMs: 3000 },
    overloadDeadlineMs: 5000,
    baseline: { n: 300, maxMs: 3000, durationMs: 3000 },
    chain: { n: 150, maxMs: 6000, durationMs: 3000 },
  };
}

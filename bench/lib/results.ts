/** The shape of `bench/results/*.json`: everything one run measured, with where each number came from. */
import type { Tally } from './load.js';
import type { Summary } from './stats.js';
import type { CeilingResult } from './baselines.js';

/** Where a latency comes from. */
export type Source =
  /** Raw per-request samples timed by the bench's client (wall clock, through real sockets). */
  | 'client'
  /** Raw per-job samples from the job records (`started_at − created_at`, 1 ms resolution). */
  | 'records'
  /** The service's own Prometheus histogram, quantiles interpolated within buckets. */
  | 'histogram';

/** A latency distribution and its source. */
export interface Latency extends Summary {
  source: Source;
  /** Empirical CDF points `[ms, fraction]`, thinned, for the chart (raw-sample sources only). */
  cdf?: [number, number][];
}

/** A load phase: what was offered, what came back, how long it took. */
export interface LoadPhase {
  /** Offered arrival rate (open loop) or clients in flight (closed loop). */
  offeredPerS?: number;
  concurrency?: number;
  tally: Tally;
  latency: Latency;
  queue?: { records?: Latency; histogram?: Latency };
  /** Counts of notable answers (verdicts, error codes, reasons of failure). */
  notes: Record<string, number>;
  /** p50 of each named duration the responses reported (the orchestrator's steps). */
  partsP50?: Record<string, number>;
}

/** Everything measured on one stack. */
export interface StackResult {
  label: string;
  /** Parts that did not run or misbehaved, and why. */
  problems: { name: string; reason: string }[];
  /** Why the whole stack was skipped, if it was. */
  skipped?: string;
  /** Where RAG questions were sent: through the mesh, or straight to the orchestrator. */
  ragEntry?: 'mesh' | 'orchestrator';
  zero: {
    decision?: Latency;
    single: Record<string, { latency: Latency; notes: Record<string, number> }>;
    rag?: LoadPhase;
    /** The same questions sent straight to the orchestrator: the mesh hop is the difference. */
    ragDirect?: LoadPhase;
    agent?: { name: string; capacity: LoadPhase; at50: LoadPhase; at90: LoadPhase; overload: LoadPhase };
    pipeline?: {
      capacity: LoadPhase;
      sustained: LoadPhase;
      overload: LoadPhase;
      decisionUnderLoad?: Latency;
    };
  };
  slo?: {
    decision?: Latency;
    single: Record<string, { latency: Latency; notes: Record<string, number> }>;
    rag?: LoadPhase;
  };
}

/** The chain baseline. */
export interface ChainResult {
  missing: string[];
  latency?: Latency;
  perS?: number;
  concurrency?: number;
  notes?: Record<string, number>;
  /** p50 of each capability call in the sequential run, by kind (one question may call generate and verify twice). */
  stepP50?: Record<string, number>;
  error?: string;
}

/** The machine the run was on. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  gitSha: string;
  /** 1-minute load average when the run started and ended: above ~0.5 something else was using the CPUs. */
  loadAvg: { start: number; end?: number };
}

/** One bench run. */
export interface BenchResults {
  schema: 'sutazai-bench.v1';
  startedAt: string;
  durationS: number;
  mode: 'full' | 'quick';
  machine: MachineInfo;
  modelProfiles: Record<string, { ttftMs: number; tokenDelayMs: number }>;
  answerTokens: number;
  stacks: StackResult[];
  baselines: { fastify?: CeilingResult; bullmq?: CeilingResult; chain?: ChainResult; errors: string[] };
}

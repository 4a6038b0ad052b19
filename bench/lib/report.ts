/** Turns results into tables: aligned text for the terminal, markdown for bench/README.md. */
import type { BenchResults, Latency, LoadPhase, StackResult } from './results.js';
import { ratio } from './stats.js';

/** A table: header and rows of cells. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** Milliseconds, with as many decimals as the size calls for; `n/a` when unknown. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A fraction as a percentage (`99.93 %`), `n/a` when unknown. */
export function fmtPct(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(digits)} %`;
}

/** A multiple (`12.3×`), `n/a` when unknown. */
export function fmtTimes(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(1)}×`;
}

/** A rate (`1234/s`), `n/a` when unknown. */
export function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  return x >= 100 ? `${x.toFixed(0)}/s` : `${x.toFixed(1)}/s`;
}

type Check = boolean | undefined;

function mark(ok: Check): string {
  return ok === undefined ? '' : ok ? ' ✓' : ' ✗';
}

function p50p99(l: Latency | undefined, targetP50?: number): string {
  if (!l || l.count === 0) return 'n/a';
  const ok = targetP50 === undefined || !Number.isFinite(l.p50) ? undefined : l.p50 <= targetP50;
  return `${fmtMs(l.p50)} / ${fmtMs(l.p99)}${mark(ok)}`;
}

function success(p: LoadPhase | undefined, target?: number): string {
  if (!p) return 'n/a';
  const t = p.tally;
  const ok = target === undefined || !Number.isFinite(t.successRate) ? undefined : t.successRate >= target;
  const apart = [
    t.shed ? `${t.shed} shed` : '',
    t.expired ? `${t.expired} expired` : '',
    t.unsent ? `${t.unsent} unsent` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${fmtPct(t.successRate)} of ${t.sent}${apart ? ` (${apart})` : ''}${mark(ok)}`;
}

function queue(p: LoadPhase | undefined, targetP50: number): string {
  const rec = p?.queue?.records;
  if (!rec || rec.count === 0) return 'n/a';
  const hist = p.queue?.histogram;
  return `${p50p99(rec, targetP50)}${hist ? ` [hist ${fmtMs(hist.p50)} / ${fmtMs(hist.p99)}]` : ''}`;
}

interface RowDef {
  what: string;
  target: string;
  source: string;
  cell: (s: StackResult, r: BenchResults) => string;
}

/** Platform overhead of an answer: RAG end to end minus the same four capabilities called in process. */
function overhead(s: StackResult, r: BenchResults, targetP50: number): string {
  const e2e = s.zero.rag?.latency?.p50;
  const chain = r.baselines.chain?.latency?.p50;
  if (e2e === undefined || chain === undefined) return 'n/a';
  const ms = e2e - chain;
  return `${fmtMs(ms)}${mark(ms <= targetP50)}`;
}

const ROWS: RowDef[] = [
  {
    what: 'Decision latency p50 / p99, zero-latency model',
    target: '≤ 2 ms p50',
    source: 'histogram',
    cell: (s) => p50p99(s.zero.decision, 2),
  },
  {
    what: 'Decision latency p50 / p99, pipelines at 90 % of capacity',
    target: '≤ 2 ms p50',
    source: 'histogram',
    cell: (s) => p50p99(s.zero.pipeline?.decisionUnderLoad, 2),
  },
  {
    what: 'Decision latency p50 / p99, tinyllama-like model',
    target: 'SLO ≤ 25 ms p50',
    source: 'histogram',
    cell: (s) => p50p99(s.slo?.decision, 25),
  },
  {
    what: 'Planner task p50 / p99 via HTTP, zero-latency',
    target: '≤ 10 ms p50',
    source: 'client',
    cell: (s) => p50p99(s.zero.single.planner?.latency, 10),
  },
  {
    what: 'Verifier task p50 / p99 via HTTP, zero-latency',
    target: '≤ 10 ms p50',
    source: 'client',
    cell: (s) => p50p99(s.zero.single.verifier?.latency, 10),
  },
  {
    what: 'Planner task p50 / p99, tinyllama-like',
    target: 'SLO ≤ 500 ms p50',
    source: 'client',
    cell: (s) => p50p99(s.slo?.single.planner?.latency, 500),
  },
  {
    what: 'Verifier task p50 / p99, tinyllama-like',
    target: 'SLO ≤ 500 ms p50',
    source: 'client',
    cell: (s) => p50p99(s.slo?.single.verifier?.latency, 500),
  },
  {
    what: 'RAG end to end p50 / p99, zero-latency model',
    target: '',
    source: 'client',
    cell: (s) => p50p99(s.zero.rag?.latency),
  },
  {
    what: 'Pipeline overhead p50 (RAG end to end − in-process chain)',
    target: '≤ 25 ms p50',
    source: 'client',
    cell: (s, r) => overhead(s, r, 25),
  },
  {
    what: 'RAG end to end p50 / p99, tinyllama-like',
    target: 'SLO ≤ 8 s p50',
    source: 'client',
    cell: (s) => p50p99(s.slo?.rag?.latency, 8000),
  },
  {
    what: 'Queue time p50 / p99 at 50 % of capacity (planner)',
    target: '≤ 5 ms p50',
    source: 'records [histogram]',
    cell: (s) => queue(s.zero.agent?.at50, 5),
  },
  {
    what: 'Queue time p50 / p99 at 90 % of capacity (planner)',
    target: 'SLO ≤ 150 ms p50',
    source: 'records [histogram]',
    cell: (s) => queue(s.zero.agent?.at90, 150),
  },
  {
    what: 'Success at 90 % of capacity (planner)',
    target: '≥ 99.9 %',
    source: 'client',
    cell: (s) => success(s.zero.agent?.at90, 0.999),
  },
  {
    what: 'Success at 90 % of capacity (pipelines)',
    target: '≥ 99.9 %',
    source: 'client',
    cell: (s) => success(s.zero.pipeline?.sustained, 0.999),
  },
  {
    what: 'Success under 10× overload (planner)',
    target: 'no failures; shed apart',
    source: 'client',
    cell: (s) => success(s.zero.agent?.overload, 1),
  },
  {
    what: 'Success under 10× overload (pipelines)',
    target: 'no failures; shed apart',
    source: 'client',
    cell: (s) => success(s.zero.pipeline?.overload, 1),
  },
  {
    what: 'Throughput, planner intake → completion',
    target: '',
    source: 'client',
    cell: (s) => capacity(s.zero.agent?.capacity),
  },
  {
    what: 'Throughput, pipelines',
    target: '',
    source: 'client',
    cell: (s) => capacity(s.zero.pipeline?.capacity),
  },
];

function capacity(p: LoadPhase | undefined): string {
  return p ? `${fmtRate(p.tally.okPerS)} (${p.concurrency ?? '?'} in flight)` : 'n/a';
}

function stackHeader(s: StackResult): string {
  return s.skipped ? `${s.label} (skipped)` : s.label;
}

/** The SLO table: one row per measure, one column per stack. */
export function sloTable(r: BenchResults): Table {
  return {
    title: 'Platform (✓/✗ against the target)',
    header: ['measure', 'target', ...r.stacks.map(stackHeader), 'source'],
    rows: ROWS.map((row) => [
      row.what,
      row.target,
      ...r.stacks.map((s) => (s.skipped ? '—' : row.cell(s, r))),
      row.source,
    ]),
  };
}

/** The baselines and what fraction of each ceiling the platform reaches. */
export function baselineTable(r: BenchResults): Table {
  const { fastify, bullmq, chain } = r.baselines;
  const live = r.stacks.filter((s) => !s.skipped);
  const per = (f: (s: StackResult) => string): string =>
    live.length ? live.map((s) => `${s.label}: ${f(s)}`).join('; ') : 'n/a';
  const rows: string[][] = [];
  if (fastify) {
    rows.push([
      'Bare Fastify route (HTTP ceiling)',
      `p50 ${fmtMs(fastify.latency.p50)}, ${fmtRate(fastify.perS)} at ${fastify.concurrency} in flight`,
      per((s) => {
        const task = s.zero.single.planner?.latency.p50;
        const jobs = s.zero.agent?.capacity.tally.okPerS;
        return `task p50 ${fmtTimes(ratio(task ?? NaN, fastify.latency.p50))} the bare route's, jobs/s ${fmtPct(ratio(jobs ?? NaN, fastify.perS), 1)} of its req/s`;
      }),
    ]);
  }
  if (bullmq) {
    rows.push([
      'Bare BullMQ add → process (queue ceiling)',
      `pickup p50 ${fmtMs(bullmq.pickup?.p50)}, round trip p50 ${fmtMs(bullmq.latency.p50)}, ${fmtRate(bullmq.perS)} at ${bullmq.concurrency} in flight`,
      per((s) => {
        const q = s.zero.agent?.at50.queue?.records?.p50;
        const jobs = s.zero.agent?.capacity.tally.okPerS;
        return `queue time p50 ${fmtMs(q)} (pickup ${fmtMs(bullmq.pickup?.p50)}), jobs/s ${fmtPct(ratio(jobs ?? NaN, bullmq.perS), 1)} of BullMQ's`;
      }),
    ]);
  }
  if (chain) {
    const what = 'Direct in-process chain of the four capabilities';
    if (chain.latency && chain.perS !== undefined) {
      const c = chain.latency;
      rows.push([
        what,
        `p50 ${fmtMs(c.p50)}, ${fmtRate(chain.perS)} at ${chain.concurrency ?? '?'} in flight`,
        per((s) => {
          const e2e = s.zero.rag?.latency.p50;
          const pps = s.zero.pipeline?.capacity.tally.okPerS;
          return `platform adds ${fmtMs((e2e ?? NaN) - c.p50)} p50, pipelines/s ${fmtPct(ratio(pps ?? NaN, chain.perS ?? NaN), 1)} of the chain's`;
        }),
      ]);
    } else {
      rows.push([what, chain.error ?? `missing: ${chain.missing.join(', ')}`, 'n/a']);
    }
  }
  for (const e of r.baselines.errors) rows.push(['(baseline error)', e, '']);
  return {
    title: 'Ceilings (same run, same machine)',
    header: ['baseline', 'measured', 'platform relative to it'],
    rows,
  };
}

const STEP_KINDS: Record<string, string> = {
  retrieve: 'retrieve.search',
  plan: 'plan.create',
  generate: 'generate.answer',
  verify: 'verify.answer',
};

/**
 * Where one answer's time goes with the zero-latency model (p50s): the mesh hop, the orchestrator
 * outside its steps, and each step as the orchestrator timed it next to the bare capability call.
 */
export function breakdownTable(r: BenchResults): Table {
  const live = r.stacks.filter((s) => !s.skipped && s.zero.rag);
  const chainSteps = r.baselines.chain?.stepP50 ?? {};
  const rows: string[][] = [];
  const row = (what: string, f: (s: StackResult) => string): void => void rows.push([what, ...live.map(f)]);
  row('answer, client → mesh → … → client', (s) => fmtMs(s.zero.rag?.latency.p50));
  row('mesh hop (via mesh − straight to orchestrator)', (s) =>
    s.zero.ragDirect ? fmtMs((s.zero.rag?.latency.p50 ?? NaN) - s.zero.ragDirect.latency.p50) : 'n/a',
  );
  row('orchestrator outside its steps (intake, queue, record, wait)', (s) => {
    const direct = s.zero.ragDirect ?? s.zero.rag;
    const steps = Object.values(direct?.partsP50 ?? {}).reduce((a, b) => a + b, 0);
    return direct?.partsP50 ? fmtMs(direct.latency.p50 - steps) : 'n/a';
  });
  for (const [step, kind] of Object.entries(STEP_KINDS)) {
    row(`step ${step}: as the orchestrator timed it (bare capability call)`, (s) => {
      const ms = (s.zero.ragDirect ?? s.zero.rag)?.partsP50?.[step];
      const bare = chainSteps[kind];
      return ms === undefined ? 'n/a' : `${fmtMs(ms)} (${fmtMs(bare)})`;
    });
  }
  return {
    title:
      'Where an answer\u2019s time goes (zero-latency model, p50; step times in whole ms as the orchestrator records them)',
    header: ['part', ...live.map((s) => s.label)],
    rows,
  };
}

/** Aligned plain text. */
export function renderText(t: Table): string {
  const all = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [t.title, line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join(
    '\n',
  );
}

/** A markdown table. */
export function renderMarkdown(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${t.header.map(esc).join(' | ')} |`,
    `|${t.header.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Problems worth reading before the numbers: parts that did not run, stacks skipped. */
export function problemLines(r: BenchResults): string[] {
  const out: string[] = [];
  const { start, end } = r.machine.loadAvg;
  if (start > 1 || (end ?? 0) > 3) {
    out.push(
      `the machine was busy with other work (1-minute load average ${start} at the start, ${end ?? '?'} at the end, on ${r.machine.cpus} CPUs): tails especially include it`,
    );
  }
  for (const s of r.stacks) {
    if (s.skipped) out.push(`${s.label}: skipped — ${s.skipped}`);
    for (const p of s.problems) out.push(`${s.label}: ${p.name} — ${p.reason}`);
  }
  return out;
}

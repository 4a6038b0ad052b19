import { describe, expect, it } from 'vitest';
import { breakdownTable, fmtMs, fmtPct, renderMarkdown, renderText, sloTable } from './report.js';
import type { BenchResults, Latency, StackResult } from './results.js';

const latency = (p50: number, p99: number): Latency => ({
  count: 100,
  min: p50 / 2,
  mean: p50,
  p50,
  p90: p99,
  p99,
  max: p99,
  source: 'client',
});

const stack = (label: string, taskP50: number): StackResult => ({
  label,
  problems: [],
  ragEntry: 'mesh',
  zero: {
    decision: { ...latency(0.3, 0.9), source: 'histogram' },
    single: { planner: { latency: latency(taskP50, taskP50 * 3), notes: {} } },
    rag: {
      tally: { sent: 10, ok: 10, shed: 0, expired: 0, failed: 0, unsent: 0, successRate: 1, okPerS: 20 },
      latency: latency(40, 80),
      notes: {},
      partsP50: { retrieve: 8, plan: 7, generate: 12, verify: 7 },
    },
    ragDirect: {
      tally: { sent: 5, ok: 5, shed: 0, expired: 0, failed: 0, unsent: 0, successRate: 1, okPerS: 20 },
      latency: latency(36, 70),
      notes: {},
      partsP50: { retrieve: 8, plan: 7, generate: 12, verify: 7 },
    },
  },
});

const results = (stacks: StackResult[]): BenchResults => ({
  schema: 'sutazai-bench.v1',
  startedAt: '2024-01-01T00:00:00.000Z',
  durationS: 1,
  mode: 'quick',
  machine: {
    cpus: 2,
    cpuModel: 'cpu',
    memoryGiB: 1,
    node: 'v20',
    os: 'Linux',
    gitSha: 'abc',
    loadAvg: { start: 0 },
  },
  modelProfiles: {},
  answerTokens: 60,
  stacks,
  baselines: { chain: { missing: [], stepP50: { 'retrieve.search': 3, 'plan.create': 2.5 } }, errors: [] },
});

describe('number formats', () => {
  it('scales decimals with size and says n/a for unknown values', () => {
    expect(fmtMs(0.256)).toBe('0.26 ms');
    expect(fmtMs(12.34)).toBe('12.3 ms');
    expect(fmtMs(456.7)).toBe('457 ms');
    expect(fmtMs(12_345)).toBe('12.3 s');
    expect(fmtMs(NaN)).toBe('n/a');
    expect(fmtPct(0.99912)).toBe('99.91 %');
  });
});

describe('sloTable', () => {
  it('has a column per stack and marks each value against its target', () => {
    const t = sloTable(
      results([stack('embedded', 4), { ...stack('redis-postgres', 12), skipped: 'no Redis' }]),
    );
    expect(t.header).toEqual(['measure', 'target', 'embedded', 'redis-postgres (skipped)', 'source']);
    const task = t.rows.find((r) => r[0]?.startsWith('Planner task p50 / p99 via HTTP'));
    expect(task).toEqual([
      'Planner task p50 / p99 via HTTP, zero-latency',
      '≤ 10 ms p50',
      '4.00 ms / 12.0 ms ✓',
      '—',
      'client',
    ]);
    const rag = t.rows.find((r) => r[0]?.startsWith('RAG end to end p50 / p99, zero'));
    expect(rag?.[2]).toBe('40.0 ms / 80.0 ms');
    // Without the in-process chain there is nothing to subtract: no overhead figure, no verdict.
    expect(t.rows.find((r) => r[0]?.startsWith('Pipeline overhead'))?.[2]).toBe('n/a');
    const withChain = results([stack('embedded', 4)]);
    withChain.baselines.chain = { missing: [], stepP50: {}, latency: latency(12, 20) };
    const overheadRow = sloTable(withChain).rows.find((r) => r[0]?.startsWith('Pipeline overhead'));
    expect(overheadRow?.[2]).toBe('28.0 ms ✗');
    expect(t.rows.find((r) => r[0]?.startsWith('Decision latency p50 / p99, tiny'))?.[2]).toBe('n/a');
  });
});

describe('breakdownTable', () => {
  it('splits an answer into the mesh hop, the orchestrator’s own time and its steps', () => {
    const rows = breakdownTable(results([stack('embedded', 4)])).rows;
    expect(rows.map((r) => r[1])).toEqual([
      '40.0 ms',
      '4.00 ms',
      '2.00 ms',
      '8.00 ms (3.00 ms)',
      '7.00 ms (2.50 ms)',
      '12.0 ms (n/a)',
      '7.00 ms (n/a)',
    ]);
  });
});

describe('renderers', () => {
  const t = { title: 'T', header: ['a', 'b'], rows: [['x|y', '1']] };

  it('renders markdown with escaped pipes', () => {
    expect(renderMarkdown(t)).toBe('| a | b |\n|---|---|\n| x\\|y | 1 |');
  });

  it('aligns plain text columns', () => {
    expect(renderText(t).split('\n')).toEqual(['T', 'a    b', '---  -', 'x|y  1']);
  });
});

import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramOf, histogramQuantile, parseExposition, valueOf } from './prometheus.js';

const exposition = (plannerCounts: number[], otherCounts: number[]): string => {
  const les = ['1', '2', '5', '+Inf'];
  const series = (kind: string, counts: number[]): string[] => [
    ...les.map(
      (le, i) =>
        `sutazai_agents_queue_time_ms_bucket{agent="planner",kind="${kind}",le="${le}"} ${counts[i]}`,
    ),
    `sutazai_agents_queue_time_ms_sum{agent="planner",kind="${kind}"} ${counts[3]! * 2}`,
    `sutazai_agents_queue_time_ms_count{agent="planner",kind="${kind}"} ${counts[3]}`,
  ];
  return [
    '# HELP sutazai_agents_queue_time_ms Time a job waited in the queue.',
    '# TYPE sutazai_agents_queue_time_ms histogram',
    ...series('plan.create', plannerCounts),
    ...series('plan.other', otherCounts),
    'sutazai_agents_queue_depth{agent="planner"} 3',
    '',
  ].join('\n');
};

describe('parseExposition and histogramOf', () => {
  it('sums the series that match the labels, buckets ascending with +Inf last', () => {
    const samples = parseExposition(exposition([1, 3, 5, 5], [1, 3, 5, 5]));
    const h = histogramOf(samples, 'sutazai_agents_queue_time_ms', { agent: 'planner' });
    expect(h).toEqual({
      buckets: [
        { le: 1, count: 2 },
        { le: 2, count: 6 },
        { le: 5, count: 10 },
        { le: Infinity, count: 10 },
      ],
      sum: 20,
      count: 10,
    });
    expect(histogramOf(samples, 'sutazai_agents_queue_time_ms', { agent: 'verifier' })).toBeUndefined();
    expect(valueOf(samples, 'sutazai_agents_queue_depth', { agent: 'planner' })).toBe(3);
  });
});

describe('histogramDelta', () => {
  it('keeps only what happened between two scrapes', () => {
    const before = histogramOf(
      parseExposition(exposition([1, 1, 1, 1], [0, 0, 0, 0])),
      'sutazai_agents_queue_time_ms',
    );
    const after = histogramOf(
      parseExposition(exposition([2, 4, 6, 7], [0, 0, 0, 0])),
      'sutazai_agents_queue_time_ms',
    );
    const d = histogramDelta(after!, before);
    expect(d.buckets.map((b) => b.count)).toEqual([1, 3, 5, 6]);
    expect(d.count).toBe(6);
    expect(d.sum).toBe(12);
  });
});

describe('histogramQuantile', () => {
  const h = {
    buckets: [
      { le: 1, count: 2 },
      { le: 2, count: 6 },
      { le: 5, count: 10 },
      { le: Infinity, count: 10 },
    ],
    sum: 0,
    count: 10,
  };

  it('interpolates linearly inside the bucket holding the rank, like PromQL', () => {
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(1.75);
    expect(histogramQuantile(h, 0.99)).toBeCloseTo(4.925);
    expect(histogramQuantile(h, 0.1)).toBeCloseTo(0.5);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and NaN when empty', () => {
    const spilled = { ...h, buckets: [...h.buckets.slice(0, 3), { le: Infinity, count: 20 }] };
    expect(histogramQuantile(spilled, 0.99)).toBe(5);
    expect(histogramQuantile({ buckets: [{ le: Infinity, count: 0 }], sum: 0, count: 0 }, 0.5)).toBeNaN();
  });
});

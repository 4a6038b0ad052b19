import { describe, expect, it } from 'vitest';
import { ecdf, quantileSorted, ratio, summarize } from './stats.js';

describe('quantileSorted', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('interpolates between the closest ranks (type 7)', () => {
    expect(quantileSorted(ten, 0.5)).toBeCloseTo(5.5);
    expect(quantileSorted(ten, 0.9)).toBeCloseTo(9.1);
    expect(quantileSorted(ten, 0.99)).toBeCloseTo(9.91);
    expect(quantileSorted(ten, 0)).toBe(1);
    expect(quantileSorted(ten, 1)).toBe(10);
  });

  it('is NaN for no samples and rejects a quantile outside 0..1', () => {
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(() => quantileSorted(ten, 1.5)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts a copy and reports count, extremes, mean and percentiles', () => {
    const samples = [30, 10, 20];
    expect(summarize(samples)).toEqual({ count: 3, min: 10, mean: 20, p50: 20, p90: 28, p99: 29.8, max: 30 });
    expect(samples).toEqual([30, 10, 20]);
  });

  it('gives NaN fields for an empty sample', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('ecdf', () => {
  it('thins to about maxPoints, rises monotonically and ends at the maximum with fraction 1', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    const points = ecdf(samples, 100);
    expect(points.length).toBeLessThanOrEqual(101);
    expect(points[points.length - 1]).toEqual([1000, 1]);
    for (let i = 1; i < points.length; i++) {
      expect(points[i]![0]).toBeGreaterThanOrEqual(points[i - 1]![0]);
      expect(points[i]![1]).toBeGreaterThan(points[i - 1]![1]);
    }
  });
});

describe('ratio', () => {
  it('divides, and is NaN when the whole is not positive or a part is missing', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(NaN, 4)).toBeNaN();
  });
});

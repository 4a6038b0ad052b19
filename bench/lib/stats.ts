/** Percentiles and summaries of raw latency samples (milliseconds). */

/** The numbers a report shows for one sample of latencies. */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The `q`-quantile (0..1) of ascending `sorted` values, interpolating linearly between the two
 * closest ranks (Hyndman & Fan type 7, numpy's and R's default). NaN for an empty sample.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

/** Summarizes raw samples: count, min, mean, p50, p90, p99, max (NaN fields when empty). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const count = sorted.length;
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    count,
    min: count ? (sorted[0] ?? NaN) : NaN,
    mean: count ? sum / count : NaN,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: count ? (sorted[count - 1] ?? NaN) : NaN,
  };
}

/** Points of the empirical CDF, thinned to at most `maxPoints` (for charts): `[value, fraction ≤ value]`. */
export function ecdf(samples: readonly number[], maxPoints = 200): [number, number][] {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.floor(n / maxPoints));
  const out: [number, number][] = [];
  // Microseconds and four decimals are all a chart can show; the JSON stays small.
  const point = (i: number): [number, number] => [
    Math.round((sorted[i] ?? 0) * 1000) / 1000,
    Math.round(((i + 1) / n) * 10_000) / 10_000,
  ];
  for (let i = 0; i < n; i += step) out.push(point(i));
  const last = out[out.length - 1];
  if (!last || last[1] !== 1) out.push(point(n - 1));
  return out;
}

/** `part / whole`, or NaN when either is not a positive finite number. */
export function ratio(part: number, whole: number): number {
  return Number.isFinite(part) && Number.isFinite(whole) && whole > 0 && part >= 0 ? part / whole : NaN;
}

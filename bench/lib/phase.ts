/** How a phase becomes results: latencies from raw samples, service histograms around a phase, settling. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadRun } from './load.js';
import { tally } from './load.js';
import {
  histogramDelta,
  histogramOf,
  histogramQuantile,
  scrape,
  valueOf,
  type Histogram,
} from './prometheus.js';
import type { Latency, LoadPhase } from './results.js';
import type { BenchStack } from './stack.js';
import { ecdf, summarize } from './stats.js';

/** The metric namespace the services use by default (PROMETHEUS_NAMESPACE). */
export const NS = 'sutazai_agents';

/** Client-side latency of a run's successful requests (raw samples), optionally with its CDF. */
export function clientLatency(run: LoadRun, withCdf = false): Latency {
  const ms = run.samples.filter((s) => s.outcome === 'ok').map((s) => s.ms);
  return { ...summarize(ms), source: 'client', ...(withCdf ? { cdf: ecdf(ms, 120) } : {}) };
}

/** Queue time of a run's successful jobs, from their records. */
export function recordsQueue(run: LoadRun): Latency {
  const q = run.samples
    .filter((s) => s.outcome === 'ok' && s.queueMs !== undefined)
    .map((s) => s.queueMs ?? 0);
  return { ...summarize(q), source: 'records' };
}

/** Quantiles of a histogram delta (min and max are unknown from buckets). */
export function histogramLatency(h: Histogram | undefined): Latency | undefined {
  if (!h || h.count <= 0) return undefined;
  return {
    count: h.count,
    mean: h.sum / h.count,
    min: NaN,
    max: NaN,
    p50: histogramQuantile(h, 0.5),
    p90: histogramQuantile(h, 0.9),
    p99: histogramQuantile(h, 0.99),
    source: 'histogram',
  };
}

/** Runs `fn` between two scrapes of a service histogram; returns its result and what it added. */
export async function aroundHistogram<T>(
  url: string | undefined,
  metric: string,
  match: Record<string, string>,
  fn: () => Promise<T>,
): Promise<[T, Latency | undefined]> {
  if (!url) return [await fn(), undefined];
  const before = histogramOf(await scrape(url).catch(() => []), `${NS}_${metric}`, match);
  const value = await fn();
  const after = histogramOf(await scrape(url).catch(() => []), `${NS}_${metric}`, match);
  return [value, after ? histogramLatency(histogramDelta(after, before)) : undefined];
}

/** A run as the results keep it: tally, client latency, notes and the p50 of reported parts. */
export function phase(run: LoadRun, extra: Partial<LoadPhase> = {}): LoadPhase {
  const parts = new Map<string, number[]>();
  for (const s of run.samples) {
    if (s.outcome !== 'ok') continue;
    for (const [k, v] of Object.entries(s.parts ?? {})) parts.set(k, [...(parts.get(k) ?? []), v]);
  }
  const partsP50 = Object.fromEntries([...parts].map(([k, v]) => [k, summarize(v).p50]));
  return {
    tally: tally(run),
    latency: clientLatency(run),
    notes: run.notes,
    ...(parts.size ? { partsP50 } : {}),
    ...extra,
  };
}

/** Waits until every agent's queue is empty (after an overload), then a little longer. */
export async function settle(stack: BenchStack, maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const depths = await Promise.all(
      [...stack.procs.values()].map(async (p) =>
        valueOf(await scrape(p.url).catch(() => []), `${NS}_queue_depth`),
      ),
    );
    if (depths.every((d) => d === 0)) break;
    await sleep(200);
  }
  await sleep(300);
}

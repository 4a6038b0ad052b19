/**
 * Load drivers: sequential, closed-loop (a fixed number of clients each sending the next request
 * when the last returns) and open-loop (requests at a fixed arrival rate, whether or not earlier ones
 * returned — latency counted from each request's scheduled time, so a stalled server cannot hide its
 * stall by slowing the sender). Everything is bounded in count and time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** How one request ended, from the caller's point of view. */
export type Outcome = 'ok' | 'shed' | 'expired' | 'failed';

/** What a request function reports. */
export interface Attempt {
  outcome: Outcome;
  /** Time the job waited in the service's queue, when the response tells it. */
  queueMs?: number;
  /** Why it was not ok (or a tag worth counting when it was, e.g. the verifier's verdict). */
  note?: string;
  /** Named durations the response reports (e.g. the orchestrator's per-step ms). */
  parts?: Record<string, number>;
}

/** One request as the driver saw it. */
export interface LoadSample {
  /** Start, ms since the run began. */
  at: number;
  /** Latency in ms (open loop: from the scheduled start). */
  ms: number;
  outcome: Outcome;
  queueMs?: number;
  parts?: Record<string, number>;
}

/** A finished run. */
export interface LoadRun {
  samples: LoadSample[];
  elapsedMs: number;
  /** Counts of {@link Attempt.note} values. */
  notes: Record<string, number>;
  /** Open loop: requests not sent because `maxInFlight` was reached. */
  unsent: number;
  /** Open loop: the arrival rate asked for. */
  offeredPerS?: number;
}

/** A request to make; resolves with its outcome (a rejection counts as a failure). */
export type Fire = () => Promise<Attempt>;

async function timed(fire: Fire, startedAt: number, t0: number, run: LoadRun): Promise<void> {
  let attempt: Attempt;
  try {
    attempt = await fire();
  } catch (err) {
    attempt = { outcome: 'failed', note: `error: ${err instanceof Error ? err.message : String(err)}` };
  }
  const sample: LoadSample = {
    at: startedAt - t0,
    ms: performance.now() - startedAt,
    outcome: attempt.outcome,
  };
  if (attempt.queueMs !== undefined) sample.queueMs = attempt.queueMs;
  if (attempt.parts) sample.parts = attempt.parts;
  run.samples.push(sample);
  if (attempt.note) run.notes[attempt.note] = (run.notes[attempt.note] ?? 0) + 1;
}

function emptyRun(): LoadRun {
  return { samples: [], elapsedMs: 0, notes: {}, unsent: 0 };
}

/** `concurrency` clients in a loop until `durationMs` passed or `maxRequests` were sent. */
export async function closedLoop(opts: {
  concurrency: number;
  durationMs: number;
  maxRequests?: number;
  fire: Fire;
}): Promise<LoadRun> {
  const run = emptyRun();
  const t0 = performance.now();
  const until = t0 + opts.durationMs;
  const max = opts.maxRequests ?? Infinity;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < until && sent < max) {
      sent++;
      await timed(opts.fire, performance.now(), t0, run);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  run.elapsedMs = performance.now() - t0;
  return run;
}

/** One request at a time, `n` of them or until `maxMs` passed. */
export function sequential(n: number, maxMs: number, fire: Fire): Promise<LoadRun> {
  return closedLoop({ concurrency: 1, durationMs: maxMs, maxRequests: n, fire });
}

/**
 * One request at a time, taking turns between `fires` (a, b, a, b …), `n` rounds or until `maxMs`:
 * a comparison of two routes in which both see the same machine at the same moments.
 */
export async function interleaved(n: number, maxMs: number, fires: Fire[]): Promise<LoadRun[]> {
  const runs = fires.map(() => emptyRun());
  const t0 = performance.now();
  for (let i = 0; i < n && performance.now() - t0 < maxMs; i++) {
    for (const [k, fire] of fires.entries()) await timed(fire, performance.now(), t0, runs[k] ?? emptyRun());
  }
  const elapsed = performance.now() - t0;
  for (const r of runs) r.elapsedMs = elapsed;
  return runs;
}

/**
 * Requests arriving at `ratePerS` for `durationMs`; at most `maxInFlight` outstanding (the rest are
 * counted as unsent). Waits up to `drainMs` for the last responses; those still missing then are
 * failures (`client gave up`).
 */
export async function openLoop(opts: {
  ratePerS: number;
  durationMs: number;
  maxInFlight: number;
  drainMs: number;
  fire: Fire;
}): Promise<LoadRun> {
  const run = emptyRun();
  run.offeredPerS = opts.ratePerS;
  const total = Math.max(1, Math.floor((opts.ratePerS * opts.durationMs) / 1000));
  const interval = 1000 / opts.ratePerS;
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  for (let i = 0; i < total;) {
    const now = performance.now();
    // Send everything whose scheduled time has come, each timed from that time.
    while (i < total && t0 + i * interval <= now) {
      const scheduled = t0 + i * interval;
      i++;
      if (pending.size >= opts.maxInFlight) {
        run.unsent++;
        continue;
      }
      const p: Promise<void> = timed(opts.fire, scheduled, t0, run).finally(() => pending.delete(p));
      pending.add(p);
    }
    if (i < total) await sleep(Math.max(0, Math.min(5, t0 + i * interval - performance.now())));
  }
  const giveUp = new AbortController();
  const drained = await Promise.race([
    Promise.all(pending).then(() => true),
    sleep(opts.drainMs, false, { signal: giveUp.signal }).catch(() => false),
  ]);
  giveUp.abort();
  if (!drained) {
    const missing = pending.size;
    for (let k = 0; k < missing; k++) {
      run.samples.push({ at: opts.durationMs, ms: performance.now() - t0, outcome: 'failed' });
    }
    run.notes['client gave up'] = (run.notes['client gave up'] ?? 0) + missing;
  }
  run.elapsedMs = performance.now() - t0;
  return run;
}

/** Counts of a run by outcome, and its success rate: ok / (ok + failed), shed and expired apart. */
export interface Tally {
  sent: number;
  ok: number;
  shed: number;
  expired: number;
  failed: number;
  unsent: number;
  /** ok ÷ (ok + failed): refusals with Retry-After (shed) and deadline expiries are counted apart. */
  successRate: number;
  /** Successful requests per second of the run. */
  okPerS: number;
}

/** Tallies a run. */
export function tally(run: LoadRun): Tally {
  const count = (o: Outcome): number => run.samples.filter((s) => s.outcome === o).length;
  const ok = count('ok');
  const failed = count('failed');
  return {
    sent: run.samples.length,
    ok,
    shed: count('shed'),
    expired: count('expired'),
    failed,
    unsent: run.unsent,
    successRate: ok + failed > 0 ? ok / (ok + failed) : NaN,
    okPerS: run.elapsedMs > 0 ? (ok * 1000) / run.elapsedMs : NaN,
  };
}

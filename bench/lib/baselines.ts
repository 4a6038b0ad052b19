/**
 * The ceilings the platform is built from, measured in the same run on the same machine: a bare
 * Fastify route (HTTP), bare BullMQ add → process on the local Redis (queue). The third, the direct
 * in-process capability chain, lives in chain.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ROOT } from '../../scripts/lib/workspace.js';
import { LoopbackClient } from './http-client.js';
import { closedLoop, sequential, tally, type LoadRun } from './load.js';
import { ecdf, summarize, type Summary } from './stats.js';

/** Sizes of a baseline measurement. */
export interface BaselinePlan {
  sequentialN: number;
  sequentialMaxMs: number;
  concurrency: number;
  durationMs: number;
}

/** One ceiling: latency of one request at a time, and throughput with `concurrency` in flight. */
export interface CeilingResult {
  latency: Summary & { cdf?: [number, number][] };
  /** Completed operations per second with `concurrency` in flight. */
  perS: number;
  concurrency: number;
  /** Queue only: add → processor start, one at a time. */
  pickup?: Summary;
  failures: number;
}

function latencies(run: LoadRun): number[] {
  return run.samples.filter((s) => s.outcome === 'ok').map((s) => s.ms);
}

/** The bare Fastify route driven by the bench's own client, as the agents are. */
export async function measureFastify(plan: BaselinePlan, body: unknown): Promise<CeilingResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/baselines/fastify-server.ts')],
    {
      cwd: ROOT,
      // Its stdin stays open while this process lives; the server exits when it closes.
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    if (!child.stdout) throw new Error('fastify baseline has no stdout');
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fastify baseline exited (${code})`)));
    });
    const client = new LoopbackClient((JSON.parse(line) as { url: string }).url);
    const fire = async (): Promise<{ outcome: 'ok' | 'failed' }> => {
      const res = await client.request('POST', '/v1/echo', { body, timeoutMs: 10_000 });
      return { outcome: res.status === 200 ? 'ok' : 'failed' };
    };
    await closedLoop({ concurrency: plan.concurrency, durationMs: 500, fire }); // warm-up
    const seq = await sequential(plan.sequentialN, plan.sequentialMaxMs, fire);
    const load = await closedLoop({ concurrency: plan.concurrency, durationMs: plan.durationMs, fire });
    client.close();
    const t = tally(load);
    if (t.ok === 0)
      throw new Error(`every request failed: ${JSON.stringify({ ...seq.notes, ...load.notes })}`);
    return {
      latency: { ...summarize(latencies(seq)), cdf: ecdf(latencies(seq), 120) },
      perS: t.okPerS,
      concurrency: plan.concurrency,
      failures: t.failed + tally(seq).failed,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * Bare BullMQ on the local Redis: a Queue and a Worker (concurrency 4, like AGENT_MAX_WORKERS) under a
 * unique key prefix, removed afterwards. Latency is add → completion seen by this process; pickup is
 * add → processor start, the counterpart of the platform's queue time.
 */
export async function measureBullmq(plan: BaselinePlan, redisUrl: string): Promise<CeilingResult> {
  const prefix = `sutazai-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const consumer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('bench', { connection: producer, prefix });
  const started = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const worker = new Worker(
    'bench',
    async (job) => {
      started.set(job.id ?? '', performance.now());
      return job.data as unknown;
    },
    { connection: consumer, prefix, concurrency: 4 },
  );
  worker.on('completed', (job) => {
    waiters.get(job.id ?? '')?.();
  });
  const pickups: number[] = [];
  let n = 0;
  const fire = async (): Promise<{ outcome: 'ok' }> => {
    const id = `j${n++}`;
    const done = new Promise<void>((resolve) => waiters.set(id, resolve));
    const t0 = performance.now();
    await queue.add(
      'job',
      { kind: 'plan.create', n },
      { jobId: id, removeOnComplete: true, removeOnFail: true },
    );
    await done;
    waiters.delete(id);
    const s = started.get(id);
    started.delete(id);
    if (s !== undefined) pickups.push(s - t0);
    return { outcome: 'ok' };
  };
  try {
    await worker.waitUntilReady();
    await closedLoop({ concurrency: plan.concurrency, durationMs: 500, fire }); // warm-up
    pickups.length = 0;
    const seq = await sequential(plan.sequentialN, plan.sequentialMaxMs, fire);
    const pickup = summarize(pickups);
    const load = await closedLoop({ concurrency: plan.concurrency, durationMs: plan.durationMs, fire });
    return {
      latency: { ...summarize(latencies(seq)), cdf: ecdf(latencies(seq), 120) },
      pickup,
      perS: tally(load).okPerS,
      concurrency: plan.concurrency,
      failures: 0,
    };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    // Whatever BullMQ left under the prefix (meta, events stream) goes too.
    let cursor = '0';
    do {
      const [next, keys] = await producer.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await producer.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    producer.disconnect();
    consumer.disconnect();
  }
}

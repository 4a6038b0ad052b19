import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentError } from '../../contract/errors.js';
import { SCHEMA_VERSION } from '../../contract/schemas.js';
import type { JobRecord } from '../../contract/schemas.js';
import type { QueueItem } from '../../ports/job-backend.js';
import type { Logger } from '../../ports/logger.js';
import { runJobBackendConformance } from '../../testing/job-backend-conformance.js';
import { createMemoryBackend } from './memory-backend.js';
import type { MemoryJobBackend } from './memory-backend.js';

runJobBackendConformance('memory', () => Promise.resolve(createMemoryBackend({ agent: 'conformance' })));

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    agent: 'test',
    kind: 'test.kind',
    tenant_id: 't1',
    status: 'queued',
    input: {},
    attempts: 0,
    max_attempts: 1,
    created_at: new Date(0).toISOString(),
    deadline_at: new Date(60_000).toISOString(),
    trace_id: 'trace',
    ...overrides,
  };
}

function item(): QueueItem {
  return { jobId: randomUUID(), tenantId: 't1', kind: 'test.kind', enqueuedAt: Date.now() };
}

/** Lets queued microtasks and one round of immediates run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('memory backend', () => {
  let backend: MemoryJobBackend | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await backend?.close();
    backend = undefined;
  });

  it('forgets finished jobs and their events after the retention, and nothing else', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = 0;
    const b = (backend = createMemoryBackend({
      agent: 'a',
      now: () => clock,
      retentionMs: 1_000,
      sweepIntervalMs: 100,
    }));
    const finished = record();
    const running = record();
    const orphan = randomUUID();
    await b.store.create(finished);
    await b.store.create(running);
    for (const jobId of [finished.job_id, running.job_id, orphan]) {
      await b.events.append(jobId, { type: 'job.queued', data: {} });
    }
    await b.store.transition(running.job_id, ['queued'], { status: 'running' });
    await b.store.transition(finished.job_id, ['queued'], { status: 'succeeded' });
    expect(b.stats()).toMatchObject({ jobs: 2, eventStreams: 3 });

    clock = 999;
    vi.advanceTimersByTime(100);
    expect(await b.store.get(finished.job_id)).toBeDefined();
    expect(await b.events.read(finished.job_id, 0)).toHaveLength(1);
    expect(b.stats()).toMatchObject({ jobs: 2, eventStreams: 3 });

    clock = 1_001;
    vi.advanceTimersByTime(100);
    expect(await b.store.get(finished.job_id)).toBeUndefined();
    expect(await b.events.read(finished.job_id, 0)).toEqual([]);
    expect(await b.events.read(orphan, 0)).toEqual([]);
    expect(await b.store.get(running.job_id)).toMatchObject({ status: 'running' });
    expect(await b.events.read(running.job_id, 0)).toHaveLength(1);
    expect(b.stats()).toMatchObject({ jobs: 1, eventStreams: 1 });
    expect((await b.store.list({ limit: 10 })).map((r) => r.job_id)).toEqual([running.job_id]);
  });

  it('keeps a job that left its terminal status again (a redrive)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = 0;
    const b = (backend = createMemoryBackend({
      agent: 'a',
      now: () => clock,
      retentionMs: 1_000,
      sweepIntervalMs: 100,
    }));
    const job = record({ status: 'failed' });
    await b.store.create(job);
    await b.store.transition(job.job_id, ['failed'], { status: 'queued' });
    clock = 5_000;
    vi.advanceTimersByTime(100);
    expect(await b.store.get(job.job_id)).toMatchObject({ status: 'queued' });
  });

  it('sweeps expired idempotency keys nobody touches again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = 0;
    const b = (backend = createMemoryBackend({ agent: 'a', now: () => clock, sweepIntervalMs: 100 }));
    await b.idempotency.claim('k1', 'fp', 500, 'j1');
    await b.idempotency.claim('k2', 'fp', 5_000, 'j2');
    clock = 600;
    expect(b.stats().idempotencyKeys).toBe(2);
    vi.advanceTimersByTime(100);
    expect(b.stats().idempotencyKeys).toBe(1);
    expect((await b.idempotency.claim('k2', 'fp', 500, 'j3')).claimed).toBe(false);
  });

  it('drops a job’s events when its record is deleted', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    const job = record();
    await b.store.create(job);
    await b.events.append(job.job_id, { type: 'job.queued', data: {} });
    await b.store.delete(job.job_id);
    expect(await b.events.read(job.job_id, 0)).toEqual([]);
    expect(b.stats().eventStreams).toBe(0);
  });

  it('lists by created_at even when records arrive out of order', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    const at = (ms: number): string => new Date(ms).toISOString();
    const [r1, r2, r3] = [
      record({ created_at: at(1_000) }),
      record({ created_at: at(3_000) }),
      record({ created_at: at(2_000) }),
    ];
    for (const r of [r1, r2, r3]) await b.store.create(r);
    expect((await b.store.list({ limit: 10 })).map((r) => r.created_at)).toEqual([
      at(3_000),
      at(2_000),
      at(1_000),
    ]);
  });

  it('puts a rejected item back at the head of the queue', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    const [x, y, z] = [item(), item(), item()];
    for (const i of [x, y, z]) await b.queue.add(i);
    const seen: string[] = [];
    b.queue.consume(
      async (i) => {
        seen.push(i.jobId);
        await Promise.resolve();
        if (seen.length === 1) throw new Error('first attempt fails');
      },
      { concurrency: 1 },
    );
    await vi.waitFor(() => expect(seen).toHaveLength(4));
    expect(seen).toEqual([x.jobId, x.jobId, y.jobId, z.jobId]);
  });

  it('delivers without polling: to an idle consumer and into a freed slot at once', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    let release = (): void => undefined;
    const seen: string[] = [];
    b.queue.consume(
      async (i) => {
        seen.push(i.jobId);
        await new Promise<void>((resolve) => (release = resolve));
      },
      { concurrency: 1 },
    );
    const [x, y] = [item(), item()];
    await b.queue.add(x);
    await b.queue.add(y);
    await turn();
    expect(seen).toEqual([x.jobId]);
    release();
    await turn();
    expect(seen).toEqual([x.jobId, y.jobId]);
    release();
  });

  it('stop hands stuck items back in their original order, ahead of the backlog', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    const [x, y, z] = [item(), item(), item()];
    for (const i of [x, y, z]) await b.queue.add(i);
    const stuck = b.queue.consume(() => new Promise<void>(() => undefined), { concurrency: 2 });
    await turn();
    expect(await b.queue.depth()).toEqual({ waiting: 1, active: 2, delayed: 0 });
    await stuck.stop(10);
    await expect(stuck.stop(10)).resolves.toBeUndefined();
    expect(await b.queue.depth()).toEqual({ waiting: 3, active: 0, delayed: 0 });
    const seen: string[] = [];
    b.queue.consume(
      async (i) => {
        seen.push(i.jobId);
        await Promise.resolve();
      },
      { concurrency: 1 },
    );
    await vi.waitFor(() => expect(seen).toEqual([x.jobId, y.jobId, z.jobId]));
  });

  it('delivers events in order when a listener appends, and logs a listener that throws', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_fields, msg) => warnings.push(msg ?? ''),
      error: () => undefined,
      child: () => logger,
    };
    const b = (backend = createMemoryBackend({ agent: 'a', logger }));
    const jobId = randomUUID();
    const order: number[] = [];
    await b.events.subscribe(jobId, (e) => {
      if (e.id === 1) void b.events.append(jobId, { type: 'log', data: {} });
      throw new Error('listener failure');
    });
    await b.events.subscribe(jobId, (e) => {
      order.push(e.id);
      e.data.mutated = true;
    });
    await b.events.append(jobId, { type: 'log', data: {} });
    await turn();
    expect(order).toEqual([1, 2]);
    expect(warnings).toHaveLength(2);
    expect((await b.events.read(jobId, 0)).map((e) => e.data)).toEqual([{}, {}]);
  });

  it('close is idempotent, stops consumers, discards delayed items and refuses new work', async () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    const handled: string[] = [];
    b.queue.consume(
      async (i) => {
        handled.push(i.jobId);
        await new Promise<void>(() => undefined);
      },
      { concurrency: 1 },
    );
    await b.queue.add(item());
    await b.queue.add(item(), { delayMs: 20 });
    await turn();
    await b.close();
    await expect(b.close()).resolves.toBeUndefined();
    expect(await b.queue.depth()).toMatchObject({ active: 0, delayed: 0 });
    await expect(b.queue.add(item())).rejects.toMatchObject({ code: 'shutting_down' });
    expect(() => b.queue.consume(() => Promise.resolve(), { concurrency: 1 })).toThrow(AgentError);
    expect(handled).toHaveLength(1);
  });

  it('rejects a consumer concurrency that is not a positive integer, and an empty agent', () => {
    const b = (backend = createMemoryBackend({ agent: 'a' }));
    expect(b.queue.name).toBe('agent.a');
    expect(b.dlq.name).toBe('agent.a.dlq');
    expect(b.readiness()).toEqual([]);
    expect(() => b.queue.consume(() => Promise.resolve(), { concurrency: 0 })).toThrow(AgentError);
    expect(() => b.queue.consume(() => Promise.resolve(), { concurrency: 1.5 })).toThrow(AgentError);
    expect(() => createMemoryBackend({ agent: '' })).toThrow(AgentError);
  });
});

/**
 * What the Redis backend promises beyond the conformance suite: fast refusal during an outage and
 * recovery after it, live listeners catching up on what they missed, retention, and the bound on
 * the queue under concurrent adds.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import {
  createRedisBackend,
  type RedisBackendOptions,
} from '../../agents/common/src/adapters/redis/redis-backend.js';
import { RedisKeys } from '../../agents/common/src/adapters/redis/redis-keys.js';
import { SCHEMA_VERSION, type JobEvent, type JobRecord } from '../../agents/common/src/contract/schemas.js';
import type { JobBackend, QueueItem } from '../../agents/common/src/ports/job-backend.js';
import { startTestService } from '../../agents/common/src/testing/harness.js';
import { createTestAgent } from '../../agents/common/src/testing/test-agent.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';
import { startTcpRelay, viaRelay, type TcpRelay } from './helpers/tcp-relay.js';

const prefix = uniquePrefix('redis');
const WAIT = { timeout: 10_000, interval: 25 } as const;

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  const now = Date.now();
  return {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    agent: 'a',
    kind: 'k',
    tenant_id: 't1',
    status: 'queued',
    input: { q: 'x' },
    attempts: 0,
    max_attempts: 3,
    created_at: new Date(now).toISOString(),
    deadline_at: new Date(now + 60_000).toISOString(),
    trace_id: 'trace',
    ...overrides,
  };
}

function item(): QueueItem {
  return { jobId: randomUUID(), tenantId: 't1', kind: 'k', enqueuedAt: Date.now() };
}

describeWithServer('redis backend behaviour', 'Redis', await probeRedis(), () => {
  let admin: Redis;
  const backends: JobBackend[] = [];
  const relays: TcpRelay[] = [];

  const open = async (opts: Partial<RedisBackendOptions> = {}): Promise<JobBackend> => {
    const backend = await createRedisBackend({
      agent: `b${randomUUID().slice(0, 8)}`,
      url: REDIS_URL,
      prefix,
      connectTimeoutMs: 1_000,
      commandTimeoutMs: 1_000,
      worker: { lockDurationMs: 2_000, stalledIntervalMs: 500, redeliveryDelayMs: 50 },
      ...opts,
    });
    backends.push(backend);
    return backend;
  };

  const relayed = async (agent: string): Promise<{ backend: JobBackend; relay: TcpRelay }> => {
    const target = new URL(REDIS_URL);
    const relay = await startTcpRelay(target.hostname, Number(target.port || 6379));
    relays.push(relay);
    return { backend: await open({ agent, url: viaRelay(REDIS_URL, relay) }), relay };
  };

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    await Promise.all(backends.splice(0).map((b) => b.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    admin.disconnect();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('refuses calls at once with dependency_unavailable while Redis is unreachable, then recovers', async () => {
    const { backend, relay } = await relayed(`o${randomUUID().slice(0, 8)}`);
    const job = record();
    await backend.store.create(job);
    const [check] = backend.readiness();
    expect(await check?.check(AbortSignal.timeout(1_000))).toEqual({ ok: true });

    relay.cut();
    await vi.waitFor(
      async () => expect((await check?.check(AbortSignal.timeout(1_000)))?.ok).toBe(false),
      WAIT,
    );
    const calls: [string, () => Promise<unknown>][] = [
      ['store.get', () => backend.store.get(job.job_id)],
      ['store.create', () => backend.store.create(record())],
      ['queue.add', () => backend.queue.add(item(), { maxDepth: 10 })],
      ['queue.depth', () => backend.queue.depth()],
      ['idempotency.claim', () => backend.idempotency.claim(`k-${randomUUID()}`, 'fp', 60_000, randomUUID())],
      ['events.append', () => backend.events.append(job.job_id, { type: 'log', data: {} })],
      ['events.subscribe', () => backend.events.subscribe(job.job_id, () => undefined)],
      ['dlq.list', () => backend.dlq.list({ limit: 5 })],
    ];
    for (const [name, call] of calls) {
      const startedAt = Date.now();
      await expect(call(), name).rejects.toMatchObject({ code: 'dependency_unavailable', status: 503 });
      expect(Date.now() - startedAt, name).toBeLessThan(500);
    }

    relay.restore();
    await vi.waitFor(async () => expect(await backend.store.get(job.job_id)).toEqual(job), WAIT);
    expect(await backend.queue.add(item(), { maxDepth: 10 })).toBe(true);
    expect(await check?.check(AbortSignal.timeout(1_000))).toEqual({ ok: true });
  });

  it('makes intake answer 503 dependency_unavailable during an outage instead of hanging, and 202 after', async () => {
    const { definition } = createTestAgent();
    const { backend, relay } = await relayed(definition.name);
    const service = await startTestService(definition, { backend, start: false });
    try {
      const post = () =>
        service.app.inject({
          method: 'POST',
          url: '/v1/jobs',
          headers: { 'content-type': 'application/json', 'idempotency-key': `k-${randomUUID()}` },
          payload: { kind: 'echo', input: { message: 'hi' } },
        });
      relay.cut();
      await vi.waitFor(
        async () => expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(503),
        WAIT,
      );
      const startedAt = Date.now();
      const refused = await post();
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'dependency_unavailable' });
      relay.restore();
      await vi.waitFor(async () => expect((await post()).statusCode).toBe(202), WAIT);
      expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(200);
    } finally {
      await service.close(0);
    }
  });

  it('rejects start-up against a Redis that does not answer', async () => {
    const target = new URL(REDIS_URL);
    const relay = await startTcpRelay(target.hostname, Number(target.port || 6379));
    relays.push(relay);
    relay.cut();
    const startedAt = Date.now();
    await expect(
      createRedisBackend({ agent: 'never', url: viaRelay(REDIS_URL, relay), prefix, connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable' });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });

  it('a listener catches up, in order and once each, on events appended while it was disconnected', async () => {
    const agent = `s${randomUUID().slice(0, 8)}`;
    const { backend: watcher, relay } = await relayed(agent);
    const writer = await open({ agent });
    const jobId = randomUUID();
    const got: JobEvent[] = [];
    await writer.events.append(jobId, { type: 'job.queued', data: {} });
    await watcher.events.subscribe(jobId, (e) => got.push(e));
    await writer.events.append(jobId, { type: 'log', data: { n: 2 } });
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([2]), WAIT);

    relay.cut();
    for (let n = 3; n <= 6; n++) await writer.events.append(jobId, { type: 'log', data: { n } });
    relay.restore();
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([2, 3, 4, 5, 6]), WAIT);
    await writer.events.append(jobId, { type: 'job.succeeded', data: {} });
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([2, 3, 4, 5, 6, 7]), WAIT);
    expect(got.map((e) => e.data.n)).toEqual([2, 3, 4, 5, 6, undefined]);
  });

  it('fills from the stream an event whose announcement was lost, and skips one that is gone', async () => {
    const agent = `g${randomUUID().slice(0, 8)}`;
    const keys = new RedisKeys(prefix, agent);
    const backend = await open({ agent });
    const jobId = randomUUID();
    const got: JobEvent[] = [];
    await backend.events.subscribe(jobId, (e) => got.push(e));
    await backend.events.append(jobId, { type: 'job.queued', data: {} });
    // Written without its announcement (as if published while the subscriber was away).
    const at = new Date().toISOString();
    await admin.xadd(keys.events(jobId), '0-*', 't', 'log', 'a', at, 'd', '{"silent":true}');
    await backend.events.append(jobId, { type: 'log', data: { n: 3 } });
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([1, 2, 3]), WAIT);
    expect(got[1]).toMatchObject({ type: 'log', at, data: { silent: true } });

    // Written silently and then lost from the stream: the listener moves past the hole.
    await admin.xadd(keys.events(jobId), '0-*', 't', 'log', 'a', at, 'd', '{}');
    await admin.xdel(keys.events(jobId), '0-4');
    await backend.events.append(jobId, { type: 'job.succeeded', data: {} });
    await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual([1, 2, 3, 5]), WAIT);
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH)', async () => {
    const backend = await open();
    await backend.store.create(record());
    await admin.script('FLUSH');
    const job = record();
    await backend.store.create(job);
    expect(await backend.store.transition(job.job_id, ['queued'], { status: 'running' })).toMatchObject({
      status: 'running',
    });
  });

  it('unsubscribing the last listener of a job leaves its channel', async () => {
    const agent = `u${randomUUID().slice(0, 8)}`;
    const backend = await open({ agent });
    const jobId = randomUUID();
    const channel = new RedisKeys(prefix, agent).eventChannel(jobId);
    const numsub = async (): Promise<number> =>
      Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);
    const first = await backend.events.subscribe(jobId, () => undefined);
    const second = await backend.events.subscribe(jobId, () => undefined);
    expect(await numsub()).toBe(1);
    first();
    expect(await numsub()).toBe(1);
    second();
    await vi.waitFor(async () => expect(await numsub()).toBe(0), WAIT);
  });

  it('keeps finished records and event streams for the retention only', async () => {
    const agent = `r${randomUUID().slice(0, 8)}`;
    const keys = new RedisKeys(prefix, agent);
    const backend = await open({ agent, retentionMs: 300, activeTtlMs: 60_000 });
    const job = record();
    await backend.store.create(job);
    await backend.events.append(job.job_id, { type: 'job.queued', data: {} });
    expect(await admin.pttl(keys.job(job.job_id))).toBe(-1);
    expect(await admin.pttl(keys.events(job.job_id))).toBeGreaterThan(300);

    await backend.store.transition(job.job_id, ['queued'], { status: 'succeeded' });
    await backend.events.append(job.job_id, { type: 'job.succeeded', data: {} });
    expect(await admin.pttl(keys.job(job.job_id))).toBeLessThanOrEqual(300);
    expect(await admin.pttl(keys.events(job.job_id))).toBeLessThanOrEqual(300);

    const live = record();
    await backend.store.create(live);
    await vi.waitFor(async () => expect(await backend.store.get(job.job_id)).toBeUndefined(), WAIT);
    expect(await backend.events.read(job.job_id, 0)).toEqual([]);
    expect((await backend.store.list({ tenantId: 't1', limit: 10 })).map((r) => r.job_id)).toEqual([
      live.job_id,
    ]);
    expect(await admin.zscore(keys.jobIndexFor('t1', undefined), job.job_id)).toBeNull();
    expect(await admin.zscore(keys.jobIndexFor('t1', 'succeeded'), job.job_id)).not.toBeNull();
    expect(await backend.store.list({ tenantId: 't1', status: 'succeeded', limit: 10 })).toEqual([]);
    expect(await admin.zscore(keys.jobIndexFor('t1', 'succeeded'), job.job_id)).toBeNull();
  });

  it('a redriven record leaves its retention again', async () => {
    const agent = `d${randomUUID().slice(0, 8)}`;
    const keys = new RedisKeys(prefix, agent);
    const backend = await open({ agent, retentionMs: 60_000 });
    const job = record({ status: 'failed' });
    await backend.store.create(job);
    expect(await admin.pttl(keys.job(job.job_id))).toBeGreaterThan(0);
    await backend.store.transition(job.job_id, ['failed'], { status: 'queued' });
    expect(await admin.pttl(keys.job(job.job_id))).toBe(-1);
  });

  it('fills the queue exactly to maxDepth under a burst of concurrent adds, oldest first', async () => {
    const backend = await open();
    await backend.queue.add(item(), { delayMs: 60_000 });
    const items = Array.from({ length: 40 }, () => item());
    const results = await Promise.all(items.map((i) => backend.queue.add(i, { maxDepth: 8 })));
    expect(results.filter(Boolean)).toHaveLength(7);
    expect(await backend.queue.depth()).toEqual({ waiting: 7, active: 0, delayed: 1 });
    expect(await backend.queue.add(item(), { maxDepth: 8 })).toBe(false);
    const delivered: string[] = [];
    backend.queue.consume(
      async (i) => {
        delivered.push(i.jobId);
      },
      { concurrency: 1 },
    );
    await vi.waitFor(() => expect(delivered).toHaveLength(7), WAIT);
    expect(new Set(delivered)).toEqual(new Set(items.filter((_, n) => results[n]).map((i) => i.jobId)));
  });

  it('drops the events of a record that is deleted (an intake rolled back)', async () => {
    const backend = await open();
    const job = record();
    await backend.store.create(job);
    await backend.events.append(job.job_id, { type: 'job.queued', data: {} });
    await backend.store.delete(job.job_id);
    expect(await backend.store.get(job.job_id)).toBeUndefined();
    expect(await backend.events.read(job.job_id, 0)).toEqual([]);
  });

  it('redelivers an item whose consumer was dropped without a word, after the lock expires', async () => {
    const agent = `k${randomUUID().slice(0, 8)}`;
    const { backend: doomed, relay } = await relayed(agent);
    const survivor = await open({ agent });
    const lost = item();
    const firstTook: string[] = [];
    doomed.queue.consume(
      async (i) => {
        firstTook.push(i.jobId);
        await new Promise<never>(() => undefined);
      },
      { concurrency: 1 },
    );
    await survivor.queue.add(lost);
    await vi.waitFor(() => expect(firstTook).toEqual([lost.jobId]), WAIT);
    relay.cut();
    const cutAt = Date.now();
    const secondTook: QueueItem[] = [];
    survivor.queue.consume(
      async (i) => {
        secondTook.push(i);
      },
      { concurrency: 1 },
    );
    await vi.waitFor(() => expect(secondTook.map((i) => i.jobId)).toEqual([lost.jobId]), WAIT);
    // lockDuration 2 s + stalled check every 0.5 s (checks mark, then move).
    expect(Date.now() - cutAt).toBeLessThan(4_000);
    await vi.waitFor(
      async () => expect(await survivor.queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0 }),
      WAIT,
    );
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA_VERSION } from '../contract/schemas.js';
import type { DeadLetter, JobEvent, JobRecord } from '../contract/schemas.js';
import type { JobBackend, QueueConsumer, QueueHandler, QueueItem } from '../ports/job-backend.js';

/** Options of {@link runJobBackendConformance}. */
export interface JobBackendConformanceOptions {
  /** Runs after each test, before `close()`: e.g. obliterate the test's queue on a shared server. */
  cleanup?: (backend: JobBackend) => Promise<void>;
}

/** Generous bounds for adapters that talk to a server; the memory backend needs a fraction. */
const WAIT = { timeout: 5_000, interval: 10 } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const newTenant = (): string => `t-${randomUUID()}`;

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function newRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  const now = Date.now();
  return {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    agent: 'conformance',
    kind: 'conformance.test',
    tenant_id: 't-conformance',
    status: 'queued',
    input: { question: 'what is queued?', n: 1, nested: { list: [1, 'two', null] } },
    attempts: 0,
    max_attempts: 3,
    created_at: new Date(now).toISOString(),
    deadline_at: new Date(now + 60_000).toISOString(),
    trace_id: randomUUID().replaceAll('-', ''),
    ...overrides,
  };
}

function newItem(): QueueItem {
  return { jobId: randomUUID(), tenantId: 't-conformance', kind: 'conformance.test', enqueuedAt: Date.now() };
}

function newDeadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    schema: SCHEMA_VERSION,
    job_id: randomUUID(),
    queue: 'agent.conformance.dlq',
    tenant_id: 't-conformance',
    kind: 'conformance.test',
    error: { type: 'about:blank', title: 'Job failed', status: 500, code: 'job_failed', trace_id: 'abc' },
    attempts: 3,
    trace_id: 'abc',
    dead_at: new Date().toISOString(),
    ...overrides,
  };
}

/**
 * The suite every {@link JobBackend} adapter must pass unchanged. `factory` is called before each
 * test and must return a backend whose queue is empty (a fresh agent name per call does it); job
 * ids, tenants and keys are unique per test, so the stores may be shared with other runs.
 */
export function runJobBackendConformance(
  name: string,
  factory: () => Promise<JobBackend>,
  opts: JobBackendConformanceOptions = {},
): void {
  describe(`JobBackend conformance: ${name}`, () => {
    let backend: JobBackend;
    let cleanedUp = false;
    const running = new Set<QueueConsumer>();
    const gates: (() => void)[] = [];

    const consume = (handler: QueueHandler, concurrency: number): QueueConsumer => {
      const consumer = backend.queue.consume(handler, { concurrency });
      running.add(consumer);
      return consumer;
    };
    const stop = (consumer: QueueConsumer, timeoutMs: number): Promise<void> => {
      running.delete(consumer);
      return consumer.stop(timeoutMs);
    };
    const newGate = (): ReturnType<typeof gate> => {
      const g = gate();
      gates.push(g.open);
      return g;
    };

    beforeEach(async () => {
      backend = await factory();
      cleanedUp = false;
    });

    afterEach(async () => {
      for (const open of gates.splice(0)) open();
      await Promise.all([...running].map((c) => c.stop(1_000)));
      running.clear();
      if (!cleanedUp) await opts.cleanup?.(backend);
      await backend.close();
    });

    describe('store', () => {
      it('creates and gets a record; an unknown id is undefined', async () => {
        const record = newRecord({ metadata: { source: 'conformance' }, idempotency_key: 'k1' });
        await backend.store.create(record);
        expect(await backend.store.get(record.job_id)).toEqual(record);
        expect(await backend.store.get(randomUUID())).toBeUndefined();
      });

      it('rejects a duplicate id and keeps the first record', async () => {
        const record = newRecord();
        await backend.store.create(record);
        await expect(backend.store.create({ ...record, kind: 'other.kind' })).rejects.toThrow();
        expect((await backend.store.get(record.job_id))?.kind).toBe('conformance.test');
      });

      it('hands out copies: mutating inputs or results does not change the store', async () => {
        const record = newRecord();
        await backend.store.create(record);
        record.status = 'failed';
        (record.input as { n: number }).n = 99;
        const got = await backend.store.get(record.job_id);
        expect(got?.status).toBe('queued');
        expect(got?.input).toMatchObject({ n: 1 });
        if (got) got.attempts = 42;
        const moved = await backend.store.transition(record.job_id, ['queued'], { status: 'running' });
        if (moved) moved.attempts = 43;
        expect((await backend.store.get(record.job_id))?.attempts).toBe(0);
      });

      it('lets exactly one of 20 concurrent queued→running transitions win', async () => {
        const record = newRecord();
        await backend.store.create(record);
        const startedAt = new Date().toISOString();
        const results = await Promise.all(
          range(1, 20).map((attempts) =>
            backend.store.transition(record.job_id, ['queued'], {
              status: 'running',
              attempts,
              started_at: startedAt,
            }),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        const stored = await backend.store.get(record.job_id);
        expect(stored).toMatchObject({
          status: 'running',
          started_at: startedAt,
          attempts: winners[0]?.attempts,
        });
        expect(stored).toEqual(winners[0]);
      });

      it('applies a transition only from the listed statuses', async () => {
        const record = newRecord();
        await backend.store.create(record);
        expect(
          await backend.store.transition(record.job_id, ['running'], { status: 'succeeded' }),
        ).toBeUndefined();
        expect((await backend.store.get(record.job_id))?.status).toBe('queued');
        expect(
          await backend.store.transition(randomUUID(), ['queued'], { status: 'running' }),
        ).toBeUndefined();
        await backend.store.transition(record.job_id, ['queued', 'running'], {
          status: 'running',
          attempts: 1,
        });
        const finishedAt = new Date().toISOString();
        const done = await backend.store.transition(record.job_id, ['running'], {
          status: 'succeeded',
          result: { answer: 'yes', citations: [{ id: 'c1' }] },
          finished_at: finishedAt,
        });
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1, finished_at: finishedAt });
        expect(await backend.store.get(record.job_id)).toEqual({
          ...record,
          status: 'succeeded',
          attempts: 1,
          result: { answer: 'yes', citations: [{ id: 'c1' }] },
          finished_at: finishedAt,
        });
      });

      it('deletes a record', async () => {
        const record = newRecord();
        await backend.store.create(record);
        await backend.store.delete(record.job_id);
        expect(await backend.store.get(record.job_id)).toBeUndefined();
        await expect(backend.store.delete(record.job_id)).resolves.toBeUndefined();
      });

      it('lists newest first, filtered by tenant and status, up to the limit', async () => {
        const tenant = newTenant();
        const base = Date.now() - 60_000;
        const records = range(0, 4).map((i) =>
          newRecord({
            tenant_id: tenant,
            status: i % 2 === 0 ? 'queued' : 'running',
            created_at: new Date(base + i * 1_000).toISOString(),
          }),
        );
        for (const record of records) await backend.store.create(record);
        await backend.store.create(newRecord({ tenant_id: newTenant() }));
        const ids = (list: JobRecord[]): string[] => list.map((r) => r.job_id);
        const newestFirst = ids([...records].reverse());
        expect(ids(await backend.store.list({ tenantId: tenant, limit: 10 }))).toEqual(newestFirst);
        expect(ids(await backend.store.list({ tenantId: tenant, limit: 2 }))).toEqual(
          newestFirst.slice(0, 2),
        );
        expect(ids(await backend.store.list({ tenantId: tenant, status: 'running', limit: 10 }))).toEqual(
          [records[3], records[1]].map((r) => r?.job_id),
        );
        expect(await backend.store.list({ tenantId: tenant, status: 'failed', limit: 10 })).toEqual([]);
        expect((await backend.store.list({ limit: 3 })).length).toBeLessThanOrEqual(3);
      });
    });

    describe('events', () => {
      it('assigns gap-free ids from 1 under 50 concurrent appends', async () => {
        const jobId = randomUUID();
        const appended = await Promise.all(
          range(0, 49).map((i) =>
            backend.events.append(jobId, { type: 'token', data: { i, text: `t${i}` } }),
          ),
        );
        expect(appended.map((e) => e.id).sort((a, b) => a - b)).toEqual(range(1, 50));
        const stored = await backend.events.read(jobId, 0, 100);
        expect(stored.map((e) => e.id)).toEqual(range(1, 50));
        for (const event of stored) expect(event).toEqual(appended.find((a) => a.id === event.id));
        expect(new Set(stored.map((e) => e.data.i))).toEqual(new Set(range(0, 49)));
        expect(stored[0]).toMatchObject({ schema: SCHEMA_VERSION, job_id: jobId, type: 'token' });
        expect(Number.isNaN(Date.parse(stored[0]?.at ?? ''))).toBe(false);
      });

      it('reads the events after an id, at most `limit`, per job', async () => {
        const jobId = randomUUID();
        for (const i of range(1, 10)) await backend.events.append(jobId, { type: 'log', data: { i } });
        const other = await backend.events.append(randomUUID(), { type: 'job.queued', data: {} });
        expect(other.id).toBe(1);
        expect((await backend.events.read(jobId, 3, 4)).map((e) => e.id)).toEqual([4, 5, 6, 7]);
        expect((await backend.events.read(jobId, 8)).map((e) => e.data.i)).toEqual([9, 10]);
        expect(await backend.events.read(jobId, 10, 5)).toEqual([]);
        expect(await backend.events.read(randomUUID(), 0, 5)).toEqual([]);
      });

      it('subscribe then read yields every event exactly once, live ones in id order', async () => {
        const jobId = randomUUID();
        for (const i of range(1, 5)) await backend.events.append(jobId, { type: 'log', data: { i } });
        const live: JobEvent[] = [];
        const unsubscribe = await backend.events.subscribe(jobId, (e) => live.push(e));
        const appending = Promise.all(
          range(6, 25).map((i) => backend.events.append(jobId, { type: 'log', data: { i } })),
        );
        const history = await backend.events.read(jobId, 0, 1_000);
        await appending;
        await vi.waitFor(() => expect(live.map((e) => e.id)).toContain(25), WAIT);
        unsubscribe();
        const liveIds = live.map((e) => e.id);
        expect(liveIds).toEqual([...liveIds].sort((a, b) => a - b));
        expect(new Set(liveIds).size).toBe(liveIds.length);
        expect(liveIds.filter((id) => id > 5)).toEqual(range(6, 25));
        const seen = new Map<number, JobEvent>();
        for (const e of [...history, ...live]) if (!seen.has(e.id)) seen.set(e.id, e);
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(range(1, 25));
        expect(history.map((e) => e.id)).toEqual(range(1, history.length));
      });

      it('stops delivering after unsubscribe', async () => {
        const jobId = randomUUID();
        const gone: number[] = [];
        const sentinel: number[] = [];
        const unsubscribe = await backend.events.subscribe(jobId, (e) => gone.push(e.id));
        await backend.events.subscribe(jobId, (e) => sentinel.push(e.id));
        await backend.events.append(jobId, { type: 'log', data: {} });
        await vi.waitFor(() => expect(gone).toEqual([1]), WAIT);
        unsubscribe();
        await backend.events.append(jobId, { type: 'log', data: {} });
        await vi.waitFor(() => expect(sentinel).toEqual([1, 2]), WAIT);
        expect(gone).toEqual([1]);
      });

      it('a throwing listener breaks neither the append nor other listeners', async () => {
        const jobId = randomUUID();
        const got: number[] = [];
        await backend.events.subscribe(jobId, () => {
          throw new Error('listener failure');
        });
        await backend.events.subscribe(jobId, (e) => got.push(e.id));
        await expect(backend.events.append(jobId, { type: 'log', data: {} })).resolves.toMatchObject({
          id: 1,
        });
        await expect(backend.events.append(jobId, { type: 'log', data: {} })).resolves.toMatchObject({
          id: 2,
        });
        await vi.waitFor(() => expect(got).toEqual([1, 2]), WAIT);
      });
    });

    describe('idempotency', () => {
      it('lets exactly one of 50 concurrent claims win, binding the key to its job id', async () => {
        const key = `conformance:${randomUUID()}`;
        const ids = range(1, 50).map(() => randomUUID());
        const before = Date.now();
        const claims = await Promise.all(ids.map((id) => backend.idempotency.claim(key, 'fp-a', 60_000, id)));
        expect(claims.filter((c) => c.claimed)).toHaveLength(1);
        const winner = ids[claims.findIndex((c) => c.claimed)];
        for (const c of claims) {
          if (c.claimed) continue;
          expect(c.entry).toMatchObject({ fingerprint: 'fp-a', state: 'pending', jobId: winner });
          expect(c.entry.claimedAt).toBeGreaterThanOrEqual(before - 1000);
          expect(c.entry.claimedAt).toBeLessThanOrEqual(Date.now() + 1000);
        }
        const other = await backend.idempotency.claim(
          `conformance:${randomUUID()}`,
          'fp-a',
          60_000,
          randomUUID(),
        );
        expect(other.claimed).toBe(true);
      });

      it('stores the completed response for later claims', async () => {
        const key = `conformance:${randomUUID()}`;
        const jobId = randomUUID();
        const response = { status: 202, body: { job_id: jobId, status: 'queued', nested: { a: [1, 2] } } };
        await backend.idempotency.claim(key, 'fp-a', 60_000, jobId);
        await backend.idempotency.complete(key, { jobId, response }, 60_000);
        const again = await backend.idempotency.claim(key, 'fp-b', 60_000, randomUUID());
        expect(again).toMatchObject({
          claimed: false,
          entry: { fingerprint: 'fp-a', state: 'completed', jobId, response },
        });
      });

      it('completes and releases only for the job id that holds the claim', async () => {
        const key = `conformance:${randomUUID()}`;
        const holder = randomUUID();
        await backend.idempotency.claim(key, 'fp-a', 60_000, holder);
        await backend.idempotency.release(key, 'someone-else');
        await backend.idempotency.complete(
          key,
          { jobId: 'someone-else', response: { status: 202, body: 1 } },
          60_000,
        );
        const still = await backend.idempotency.claim(key, 'fp-a', 60_000, randomUUID());
        expect(still).toMatchObject({ claimed: false, entry: { state: 'pending', jobId: holder } });
        await backend.idempotency.release(key, holder);
        expect((await backend.idempotency.claim(key, 'fp-b', 60_000, 'j1')).claimed).toBe(true);
      });

      it('release forgets a pending claim but not a completed one', async () => {
        const key = `conformance:${randomUUID()}`;
        await backend.idempotency.claim(key, 'fp-a', 60_000, 'j0');
        await backend.idempotency.release(key, 'j0');
        expect(await backend.idempotency.claim(key, 'fp-b', 60_000, 'j1')).toEqual({ claimed: true });
        await backend.idempotency.complete(
          key,
          { jobId: 'j1', response: { status: 202, body: null } },
          60_000,
        );
        await backend.idempotency.release(key, 'j1');
        const again = await backend.idempotency.claim(key, 'fp-c', 60_000, 'j2');
        expect(again).toMatchObject({
          claimed: false,
          entry: { state: 'completed', fingerprint: 'fp-b', jobId: 'j1' },
        });
      });

      it('expires a claim after its ttl, not before', async () => {
        const key = `conformance:${randomUUID()}`;
        const claimedAt = Date.now();
        expect((await backend.idempotency.claim(key, 'fp-a', 300, 'j1')).claimed).toBe(true);
        expect((await backend.idempotency.claim(key, 'fp-b', 300, 'j2')).claimed).toBe(false);
        await vi.waitFor(
          async () => expect((await backend.idempotency.claim(key, 'fp-c', 60_000, 'j3')).claimed).toBe(true),
          WAIT,
        );
        expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(280);
      });

      it('expires a completed entry after the ttl given to complete', async () => {
        const key = `conformance:${randomUUID()}`;
        await backend.idempotency.claim(key, 'fp-a', 60_000, 'j1');
        await backend.idempotency.complete(
          key,
          { jobId: 'j1', response: { status: 200, body: { ok: true } } },
          200,
        );
        expect((await backend.idempotency.claim(key, 'fp-b', 60_000, 'j2')).claimed).toBe(false);
        await vi.waitFor(
          async () => expect((await backend.idempotency.claim(key, 'fp-b', 60_000, 'j3')).claimed).toBe(true),
          WAIT,
        );
      });
    });

    describe('queue', () => {
      it('names the queues agent.<name> and agent.<name>.dlq', () => {
        expect(backend.queue.name).toMatch(/^agent\.\S+$/);
        expect(backend.dlq.name).toBe(`${backend.queue.name}.dlq`);
      });

      it('delivers due items in FIFO order', async () => {
        const items = range(1, 10).map(() => newItem());
        for (const item of items) expect(await backend.queue.add(item)).toBe(true);
        const got: QueueItem[] = [];
        consume(async (item) => {
          got.push(item);
          await Promise.resolve();
        }, 1);
        await vi.waitFor(() => expect(got).toHaveLength(10), WAIT);
        expect(got.map((i) => i.jobId)).toEqual(items.map((i) => i.jobId));
        expect(got[0]).toEqual(items[0]);
      });

      it('refuses an add at maxDepth and adds nothing', async () => {
        for (let i = 0; i < 3; i++) expect(await backend.queue.add(newItem(), { maxDepth: 3 })).toBe(true);
        expect(await backend.queue.add(newItem(), { maxDepth: 3 })).toBe(false);
        expect(await backend.queue.depth()).toEqual({ waiting: 3, active: 0, delayed: 0 });
        expect(await backend.queue.add(newItem(), { delayMs: 60_000 })).toBe(true);
        expect(await backend.queue.add(newItem(), { maxDepth: 4 })).toBe(false);
        expect(await backend.queue.add(newItem(), { maxDepth: 4, delayMs: 10 })).toBe(false);
        expect(await backend.queue.depth()).toEqual({ waiting: 3, active: 0, delayed: 1 });
      });

      it('holds a delayed item until its delay has passed, without blocking due items', async () => {
        const got: { item: QueueItem; at: number }[] = [];
        consume(async (item) => {
          got.push({ item, at: Date.now() });
          await Promise.resolve();
        }, 2);
        const later = newItem();
        const now = newItem();
        const addedAt = Date.now();
        await backend.queue.add(later, { delayMs: 300 });
        await backend.queue.add(now);
        await vi.waitFor(() => expect(got).toHaveLength(2), WAIT);
        expect(got.map((g) => g.item.jobId)).toEqual([now.jobId, later.jobId]);
        expect((got[1]?.at ?? 0) - addedAt).toBeGreaterThanOrEqual(290);
        expect(got[1]?.item.enqueuedAt).toBeGreaterThanOrEqual(addedAt + 250);
      });

      it('never runs more than `concurrency` handlers at once, and uses them all', async () => {
        let inFlight = 0;
        let maxInFlight = 0;
        let done = 0;
        for (let i = 0; i < 12; i++) await backend.queue.add(newItem());
        consume(async () => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(25);
          inFlight -= 1;
          done += 1;
        }, 3);
        await vi.waitFor(() => expect(done).toBe(12), WAIT);
        expect(maxInFlight).toBe(3);
      });

      it('delivers an item again after its handler rejected', async () => {
        const flaky = newItem();
        const steady = newItem();
        const seen: string[] = [];
        consume(async (item) => {
          seen.push(item.jobId);
          await Promise.resolve();
          if (item.jobId === flaky.jobId && seen.filter((id) => id === flaky.jobId).length === 1) {
            throw new Error('transient failure');
          }
        }, 1);
        await backend.queue.add(flaky);
        await backend.queue.add(steady);
        await vi.waitFor(() => expect(seen.filter((id) => id === flaky.jobId)).toHaveLength(2), WAIT);
        await vi.waitFor(() => expect(seen).toContain(steady.jobId), WAIT);
        expect(seen.filter((id) => id === steady.jobId)).toHaveLength(1);
      });

      it('shares items between consumers: each once, never two handlers for one item', async () => {
        const items = range(1, 30).map(() => newItem());
        const counts = new Map<string, number>();
        const inFlight = new Set<string>();
        let overlaps = 0;
        const handler: QueueHandler = async (item) => {
          if (inFlight.has(item.jobId)) overlaps += 1;
          inFlight.add(item.jobId);
          counts.set(item.jobId, (counts.get(item.jobId) ?? 0) + 1);
          await sleep(Math.floor(Math.random() * 5));
          inFlight.delete(item.jobId);
        };
        consume(handler, 2);
        consume(handler, 2);
        for (const item of items) await backend.queue.add(item);
        await vi.waitFor(() => expect(counts.size).toBe(30), WAIT);
        await vi.waitFor(() => expect(inFlight.size).toBe(0), WAIT);
        expect(overlaps).toBe(0);
        expect([...counts.keys()].sort()).toEqual(items.map((i) => i.jobId).sort());
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(await backend.queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0 });
      });

      it('stop waits for handlers in flight, and their items are acknowledged', async () => {
        const started = gate();
        let finished = false;
        const consumer = consume(async () => {
          started.open();
          await sleep(150);
          finished = true;
        }, 1);
        await backend.queue.add(newItem());
        await started.promise;
        const stoppingAt = Date.now();
        await stop(consumer, 5_000);
        expect(finished).toBe(true);
        expect(Date.now() - stoppingAt).toBeLessThan(3_000);
        expect(await backend.queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0 });
      });

      it('stop gives the item of a handler still running to the next consumer', async () => {
        const slow = newItem();
        const next = newItem();
        const release = newGate();
        const started = gate();
        const firstGot: string[] = [];
        const first = consume(async (item) => {
          firstGot.push(item.jobId);
          started.open();
          await release.promise;
        }, 1);
        await backend.queue.add(slow);
        await started.promise;
        const stoppingAt = Date.now();
        await stop(first, 100);
        expect(Date.now() - stoppingAt).toBeLessThan(3_000);
        await backend.queue.add(next);
        const secondGot: string[] = [];
        consume(async (item) => {
          secondGot.push(item.jobId);
          await Promise.resolve();
        }, 1);
        await vi.waitFor(() => expect([...secondGot].sort()).toEqual([slow.jobId, next.jobId].sort()), WAIT);
        expect(firstGot).toEqual([slow.jobId]);
        release.open();
      });

      it('counts waiting, active and delayed items', async () => {
        expect(await backend.queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0 });
        await backend.queue.add(newItem());
        await backend.queue.add(newItem());
        await backend.queue.add(newItem(), { delayMs: 60_000 });
        expect(await backend.queue.depth()).toEqual({ waiting: 2, active: 0, delayed: 1 });
        const release = newGate();
        let done = 0;
        consume(async () => {
          await release.promise;
          done += 1;
        }, 1);
        await vi.waitFor(
          async () => expect(await backend.queue.depth()).toEqual({ waiting: 1, active: 1, delayed: 1 }),
          WAIT,
        );
        release.open();
        await vi.waitFor(() => expect(done).toBe(2), WAIT);
        await vi.waitFor(
          async () => expect(await backend.queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 1 }),
          WAIT,
        );
      });
    });

    describe('dead letters', () => {
      it('puts, gets and lists newest first per tenant, up to the limit', async () => {
        const tenant = newTenant();
        const base = Date.now() - 60_000;
        const entries = range(0, 2).map((i) =>
          newDeadLetter({ tenant_id: tenant, dead_at: new Date(base + i * 1_000).toISOString() }),
        );
        for (const entry of entries) await backend.dlq.put(entry);
        await backend.dlq.put(newDeadLetter({ tenant_id: newTenant() }));
        const newestFirst = [...entries].reverse().map((e) => e.job_id);
        expect((await backend.dlq.list({ tenantId: tenant, limit: 10 })).map((e) => e.job_id)).toEqual(
          newestFirst,
        );
        expect((await backend.dlq.list({ tenantId: tenant, limit: 2 })).map((e) => e.job_id)).toEqual(
          newestFirst.slice(0, 2),
        );
        expect(await backend.dlq.get(entries[1]?.job_id ?? '')).toEqual(entries[1]);
        expect(await backend.dlq.get(randomUUID())).toBeUndefined();
        expect((await backend.dlq.list({ limit: 2 })).length).toBeLessThanOrEqual(2);
      });

      it('take removes and returns an entry exactly once under concurrency', async () => {
        const tenant = newTenant();
        const entry = newDeadLetter({ tenant_id: tenant });
        await backend.dlq.put(entry);
        const taken = await Promise.all(range(1, 10).map(() => backend.dlq.take(entry.job_id)));
        const winners = taken.filter((t) => t !== undefined);
        expect(winners).toEqual([entry]);
        expect(await backend.dlq.get(entry.job_id)).toBeUndefined();
        expect(await backend.dlq.list({ tenantId: tenant, limit: 10 })).toEqual([]);
        expect(await backend.dlq.take(entry.job_id)).toBeUndefined();
      });
    });

    describe('lifecycle', () => {
      it('has a name and readiness checks, and close is idempotent', async () => {
        expect(backend.name).toMatch(/\S/);
        const checks = backend.readiness();
        expect(Array.isArray(checks)).toBe(true);
        for (const check of checks) {
          expect(check.name).toMatch(/\S/);
          expect(typeof check.check).toBe('function');
        }
        cleanedUp = true;
        await opts.cleanup?.(backend);
        await backend.close();
        await expect(backend.close()).resolves.toBeUndefined();
      });
    });
  });
}

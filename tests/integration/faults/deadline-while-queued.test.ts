/**
 * A job whose deadline passes while it waits in the queue ends `expired` and never starts (SPEC §3
 * Deadlines), on the Redis backend: whether the replica that took it expires it on time, or that
 * replica is gone and the worker that finally receives it must notice the deadline itself.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { createRedisBackend } from '../../../agents/common/src/adapters/redis/redis-backend.js';
import { isTerminal, type JobEvent, type JobRecord } from '../../../agents/common/src/contract/schemas.js';
import type { AgentDefinition } from '../../../agents/common/src/service/agent-definition.js';
import { startTestService } from '../../../agents/common/src/testing/harness.js';
import { createTestAgent, type TestAgentProbe } from '../../../agents/common/src/testing/test-agent.js';
import {
  followEvents,
  getJob,
  listen,
  postJob,
  waitAllTerminal,
  type Replica,
} from '../helpers/agent-http.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from '../helpers/live-servers.js';

const WORKER = { lockDurationMs: 1_500, stalledIntervalMs: 500, redeliveryDelayMs: 50 };

describeWithServer('faults: deadline passing while queued', 'Redis', await probeRedis(), () => {
  const prefixes: string[] = [];
  const replicas: Replica[] = [];
  const tenant = `t-${randomUUID().slice(0, 8)}`;

  const startReplica = async (
    definition: AgentDefinition,
    prefix: string,
    start = true,
  ): Promise<Replica> => {
    const backend = await createRedisBackend({
      agent: definition.name,
      url: REDIS_URL,
      prefix,
      worker: WORKER,
    });
    const replica = await listen(
      await startTestService(definition, { backend, engine: { maxWorkers: 1 }, start }),
    );
    replicas.push(replica);
    return replica;
  };

  const accepted = async (replica: Replica, body: unknown): Promise<string> => {
    const a = await postJob(replica.url, tenant, body);
    expect(a.status).toBe(202);
    return String(a.body?.job_id);
  };

  const running = async (replica: Replica, jobId: string): Promise<void> => {
    await vi.waitFor(async () => expect((await getJob(replica.url, tenant, jobId))?.status).toBe('running'), {
      timeout: 5_000,
      interval: 20,
    });
  };

  /** Checks the record and the event log of a job that expired without starting. */
  const expectNeverStarted = async (replica: Replica, rec: JobRecord | undefined, probe: TestAgentProbe) => {
    expect(rec).toMatchObject({ status: 'expired', attempts: 0, error: { code: 'deadline_exceeded' } });
    expect(rec?.started_at).toBeUndefined();
    const events: JobEvent[] = await followEvents(replica.url, tenant, String(rec?.job_id), {
      until: (e) => e.type === 'job.expired',
      timeoutMs: 5_000,
    });
    expect(events.map((e) => e.type)).toEqual(['job.queued', 'job.expired']);
    expect(probe.executions.get(String(rec?.job_id)) ?? 0).toBe(0);
    expect(probe.started).not.toContain(rec?.job_id);
  };

  /** Waits on the stored record, not `GET /v1/jobs/:id`, which itself expires an overdue job it reads. */
  const storedTerminal = async (replica: Replica, jobId: string): Promise<JobRecord> => {
    let rec: JobRecord | undefined;
    await vi.waitFor(
      async () => {
        rec = await replica.service.backend.store.get(jobId);
        expect(rec !== undefined && isTerminal(rec.status), `job is ${rec?.status}`).toBe(true);
      },
      { timeout: 5_000, interval: 20 },
    );
    return rec as JobRecord;
  };

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.service.close(0)));
  });

  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(REDIS_URL, p);
  });

  it('expires a job stuck behind a long one at its deadline, and the freed worker never starts it', async () => {
    const prefix = uniquePrefix('fault-deadline');
    prefixes.push(prefix);
    const probe: TestAgentProbe = { executions: new Map(), started: [] };
    const { definition } = createTestAgent(probe);
    const replica = await startReplica(definition, prefix);

    const long = await accepted(replica, { kind: 'sleep', input: { ms: 1_500 } });
    await running(replica, long);
    const short = await accepted(replica, { kind: 'echo', input: { message: 'too late' }, deadline_ms: 300 });

    const rec = await storedTerminal(replica, short);
    const lateMs = Date.parse(String(rec?.finished_at)) - Date.parse(String(rec?.deadline_at));
    expect((await getJob(replica.url, tenant, long))?.status).toBe('running');
    // The freed worker still receives the item; it must drop it, not run it.
    expect((await waitAllTerminal(replica.url, tenant, [long], 5_000)).get(long)?.status).toBe('succeeded');
    const queue = replica.service.backend.queue;
    await vi.waitFor(async () => expect(await queue.depth()).toEqual({ waiting: 0, active: 0, delayed: 0 }), {
      timeout: 5_000,
      interval: 20,
    });
    console.log(
      `[fault deadline-timer] expired_after_deadline_ms=${lateMs} executions_of_expired=${probe.executions.get(short) ?? 0} ` +
        `executions_of_long=${probe.executions.get(long) ?? 0} started=${JSON.stringify(probe.started.map((id) => (id === long ? 'long' : 'other')))}`,
    );
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1_000);
    await expectNeverStarted(replica, rec, probe);
    expect(probe.started).toEqual([long]);
  });

  it('expires on delivery a job whose intake replica is gone, without starting it', async () => {
    const prefix = uniquePrefix('fault-deadline-gone');
    prefixes.push(prefix);
    const probe: TestAgentProbe = { executions: new Map(), started: [] };
    const { definition } = createTestAgent(probe);
    // The intake replica takes the job and leaves before its deadline: its expiry timer goes with it.
    const intake = await startReplica(definition, prefix, false);
    const worker = await startReplica(definition, prefix);
    const long = await accepted(worker, { kind: 'sleep', input: { ms: 1_200 } });
    await running(worker, long);
    const short = await accepted(intake, { kind: 'echo', input: { message: 'orphaned' }, deadline_ms: 300 });
    await intake.service.close(0);
    replicas.splice(replicas.indexOf(intake), 1);

    const done = await waitAllTerminal(worker.url, tenant, [long], 5_000);
    const rec = await storedTerminal(worker, short);
    const lateMs = Date.parse(String(rec.finished_at)) - Date.parse(String(rec.deadline_at));
    const longFinished = Date.parse(String(done.get(long)?.finished_at));
    console.log(
      `[fault deadline-on-delivery] expired_after_deadline_ms=${lateMs} expired_after_worker_freed_ms=${Date.parse(String(rec.finished_at)) - longFinished} ` +
        `executions_of_expired=${probe.executions.get(short) ?? 0}`,
    );
    expect(done.get(long)?.status).toBe('succeeded');
    // Nobody's timer was left: the worker expired it when the item reached it, after the long job.
    expect(Date.parse(String(rec.finished_at))).toBeGreaterThanOrEqual(longFinished);
    await expectNeverStarted(worker, rec, probe);
    expect(probe.started).toEqual([long]);
  });
});

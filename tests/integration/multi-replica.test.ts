/**
 * Several replicas of one agent on one Redis (SPEC §3, §5): any replica serves any job, one
 * idempotency key makes one job across replicas, a replica that dies mid-job loses nothing and
 * the job's guarded side effect happens once, and a poison job ends in the dead-letter queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createRedisBackend } from '../../agents/common/src/adapters/redis/redis-backend.js';
import { readJobEvents } from '../../agents/common/src/client/sse-reader.js';
import {
  DeadLetter,
  JobRecord,
  TERMINAL_EVENT_TYPES,
  isTerminal,
  type JobEvent,
} from '../../agents/common/src/contract/schemas.js';
import type { AgentDefinition } from '../../agents/common/src/service/agent-definition.js';
import { startTestService, type TestService } from '../../agents/common/src/testing/harness.js';
import { createTestAgent, type TestAgentProbe } from '../../agents/common/src/testing/test-agent.js';
import { createEffectAgent, effectKeys } from './helpers/effect-agent.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from './helpers/live-servers.js';

const WAIT = { timeout: 15_000, interval: 25 } as const;
/** Short locks so a dead replica's job comes back within a couple of seconds. */
const WORKER = { lockDurationMs: 1_500, stalledIntervalMs: 500, redeliveryDelayMs: 50 };

interface Replica {
  service: TestService;
  url: string;
}

describeWithServer('replicas sharing one Redis', 'Redis', await probeRedis(), () => {
  const prefixes: string[] = [];
  const replicas: Replica[] = [];
  const children: ChildProcess[] = [];
  const closers: (() => void)[] = [];
  let admin: Redis;
  let prefix = '';
  let tenant = '';

  const startReplica = async (definition: AgentDefinition, start = true): Promise<Replica> => {
    const backend = await createRedisBackend({
      agent: definition.name,
      url: REDIS_URL,
      prefix,
      worker: WORKER,
    });
    const service = await startTestService(definition, { backend, start });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const replica = {
      service,
      url: `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`,
    };
    replicas.push(replica);
    return replica;
  };

  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    'x-tenant-id': tenant,
    ...extra,
  });

  const submit = (replica: Replica, body: unknown, extra: Record<string, string> = {}): Promise<Response> =>
    fetch(`${replica.url}/v1/jobs`, {
      method: 'POST',
      headers: headers({ 'content-type': 'application/json', ...extra }),
      body: JSON.stringify(body),
    });

  const getJob = async (replica: Replica, jobId: string): Promise<JobRecord> => {
    const res = await fetch(`${replica.url}/v1/jobs/${jobId}`, { headers: headers() });
    expect(res.status).toBe(200);
    return JobRecord.parse(await res.json());
  };

  const terminal = async (replica: Replica, jobId: string): Promise<JobRecord> => {
    let rec: JobRecord | undefined;
    await vi.waitFor(async () => {
      rec = await getJob(replica, jobId);
      expect(isTerminal(rec.status), `job is ${rec.status}`).toBe(true);
    }, WAIT);
    return rec as JobRecord;
  };

  /** Reads a job's SSE stream from `afterId` until `until` holds for an event, then hangs up. */
  const readEvents = async (
    replica: Replica,
    jobId: string,
    afterId: number,
    until: (e: JobEvent) => boolean,
  ): Promise<JobEvent[]> => {
    const hangUp = new AbortController();
    const res = await fetch(`${replica.url}/v1/jobs/${jobId}/events`, {
      headers: {
        ...headers(),
        accept: 'text/event-stream',
        ...(afterId > 0 ? { 'last-event-id': String(afterId) } : {}),
      },
      signal: AbortSignal.any([hangUp.signal, AbortSignal.timeout(WAIT.timeout)]),
    });
    expect(res.status).toBe(200);
    const out: JobEvent[] = [];
    try {
      for await (const event of readJobEvents(res.body as ReadableStream<Uint8Array>)) {
        out.push(event);
        if (until(event)) break;
      }
    } finally {
      hangUp.abort();
    }
    return out;
  };

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  beforeEach(() => {
    prefix = uniquePrefix('replicas');
    prefixes.push(prefix);
    tenant = `t-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(replicas.splice(0).map((r) => r.service.close(0)));
    for (const close of closers.splice(0)) close();
  });

  afterAll(async () => {
    admin.disconnect();
    for (const p of prefixes) await deleteKeys(REDIS_URL, p);
  });

  it('serves a job submitted to one replica from the other, and resumes its event stream there', async () => {
    const { definition } = createTestAgent();
    const a = await startReplica(definition);
    const b = await startReplica(definition);
    const res = await submit(a, { kind: 'stream', input: { n: 25, delay_ms: 20 } });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };

    const head = await readEvents(a, jobId, 0, (e) => e.id >= 6);
    expect(head.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await getJob(b, jobId)).job_id).toBe(jobId);

    const tail = await readEvents(b, jobId, 6, (e) => TERMINAL_EVENT_TYPES.has(e.type));
    const ids = tail.map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => 7 + i));
    expect(tail.at(-1)?.type).toBe('job.succeeded');
    const text = [...head, ...tail]
      .filter((e) => e.type === 'token')
      .map((e) => String(e.data.text))
      .join('');
    const done = await getJob(b, jobId);
    expect(done.result).toEqual({ text });
    expect(text.split(' ')).toHaveLength(25);
  });

  it('turns 50 concurrent submissions with one idempotency key, over both replicas, into one job run once', async () => {
    const probe: TestAgentProbe = { executions: new Map(), started: [] };
    const { definition } = createTestAgent(probe);
    const a = await startReplica(definition);
    const b = await startReplica(definition);
    const key = `"order-${randomUUID()}"`;
    const body = { kind: 'echo', input: { message: 'exactly once' } };
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await submit(i % 2 === 0 ? a : b, body, { 'idempotency-key': key });
        return { status: res.status, body: (await res.json()) as { job_id?: string; code?: string } };
      }),
    );
    const accepted = answers.filter((x) => x.status === 202);
    const busy = answers.filter((x) => x.status === 409);
    expect(accepted.length + busy.length).toBe(50);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const x of busy) expect(x.body.code).toBe('idempotency_key_in_use');
    const jobIds = new Set(accepted.map((x) => x.body.job_id));
    expect(jobIds.size).toBe(1);
    const [jobId] = [...jobIds] as [string];

    expect((await terminal(b, jobId)).status).toBe('succeeded');
    const replay = await submit(b, body, { 'idempotency-key': key });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { job_id: string }).job_id).toBe(jobId);
    expect(await a.service.backend.store.list({ tenantId: tenant, limit: 10 })).toHaveLength(1);
    expect(probe.executions.get(jobId)).toBe(1);
    expect(probe.started).toEqual([jobId]);
  });

  it('finishes on the surviving replica a job whose replica was killed mid-job, with its effect applied once', async () => {
    const effects = createEffectAgent(REDIS_URL, prefix);
    closers.push(effects.close);
    // Replica B takes intake but no work yet, so the job goes to the replica that will die.
    const b = await startReplica(effects.definition, false);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./helpers/replica-process.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          REPLICA_REDIS_URL: REDIS_URL,
          REPLICA_PREFIX: prefix,
          REPLICA_LOCK_MS: '1500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    const output: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`replica exited (${code}): ${output.join('')}`)));
    });

    const res = await submit(b, { kind: 'effect', input: { hang_first_run: true } });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    const keys = effectKeys(prefix, jobId);
    await vi.waitFor(async () => expect(await admin.get(keys.executions)).toBe('1'), WAIT);
    expect((await getJob(b, jobId)).status).toBe('running');

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    b.service.engine.start();

    const done = await terminal(b, jobId);
    expect(done).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result: { executions: 2, applied_here: false },
    });
    expect(await admin.get(keys.executions)).toBe('2');
    expect(await admin.get(keys.applied)).toBe('1');
    expect(await admin.get(keys.effect)).toBe('attempt 1');
  });

  it('cancels, through one replica, a job running on the other', async () => {
    const probe: TestAgentProbe = { executions: new Map(), started: [] };
    const { definition } = createTestAgent(probe);
    const intake = await startReplica(definition, false);
    const worker = await startReplica(definition);
    const res = await submit(intake, { kind: 'sleep', input: { ms: 60_000 } });
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    await vi.waitFor(async () => expect((await getJob(intake, jobId)).status).toBe('running'), WAIT);
    const cancel = await fetch(`${intake.url}/v1/jobs/${jobId}/cancel`, {
      method: 'POST',
      headers: headers(),
    });
    expect(cancel.status).toBe(200);
    const done = await terminal(worker, jobId);
    expect(done).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(probe.executions.get(jobId)).toBe(1);
  });

  it('dead-letters a poison job after exactly max_attempts tries, and a redrive runs it once more', async () => {
    const probe: TestAgentProbe = { executions: new Map(), started: [] };
    const { definition } = createTestAgent(probe);
    const a = await startReplica(definition);
    const b = await startReplica(definition);
    const res = await submit(a, { kind: 'fail', input: { retryable: true }, max_attempts: 3 });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };

    const failed = await terminal(b, jobId);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3 });
    expect(probe.executions.get(jobId)).toBe(3);
    const dlRes = await fetch(`${b.url}/v1/dlq/${jobId}`, { headers: headers() });
    expect(dlRes.status).toBe(200);
    const dead = DeadLetter.parse(await dlRes.json());
    expect(dead).toMatchObject({
      job_id: jobId,
      queue: 'agent.testagent.dlq',
      attempts: 3,
      trace_id: failed.trace_id,
      error: { code: 'dependency_failed', trace_id: failed.trace_id },
    });

    const redrive = await fetch(`${b.url}/v1/dlq/${jobId}/redrive`, { method: 'POST', headers: headers() });
    expect(redrive.status).toBe(202);
    const again = await fetch(`${a.url}/v1/dlq/${jobId}/redrive`, { method: 'POST', headers: headers() });
    expect(again.status).toBe(404);
    await vi.waitFor(async () => expect((await getJob(a, jobId)).attempts).toBe(4), WAIT);
    const refailed = await terminal(a, jobId);
    expect(refailed).toMatchObject({ status: 'failed', attempts: 4, max_attempts: 4 });
    expect(probe.executions.get(jobId)).toBe(4);
    await vi.waitFor(async () => {
      const res2 = await fetch(`${a.url}/v1/dlq/${jobId}`, { headers: headers() });
      expect(res2.status).toBe(200);
      expect(DeadLetter.parse(await res2.json()).attempts).toBe(4);
    }, WAIT);
  });
});

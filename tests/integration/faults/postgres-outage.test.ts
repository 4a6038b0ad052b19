/**
 * Postgres, the durable job record, goes away under a replica on Redis + Postgres (SPEC §3:
 * `/ready` names the failing dependency; intake refuses with 503 rather than accepting a job it
 * cannot record, and enqueues nothing). When Postgres is back the replica is ready again, takes
 * work again, and the jobs accepted before the outage are still there.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobBackendFromConfig } from '../../../agents/common/src/adapters/backend-from-config.js';
import { loadConfig } from '../../../agents/common/src/config.js';
import { startTestService } from '../../../agents/common/src/testing/harness.js';
import { createTestAgent, type TestAgentProbe } from '../../../agents/common/src/testing/test-agent.js';
import {
  getJob,
  getPath,
  listen,
  pause,
  postJob,
  waitAllTerminal,
  type Answer,
  type Replica,
} from '../helpers/agent-http.js';
import {
  PG_DSN,
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probePostgres,
  probeRedis,
  uniquePrefix,
} from '../helpers/live-servers.js';
import { startTcpRelay, viaRelay, type TcpRelay } from '../helpers/tcp-relay.js';

const WORKER = { lockDurationMs: 1_500, stalledIntervalMs: 500, redeliveryDelayMs: 50 };

/** Polls `/ready` until `done` holds for its answer; resolves with the answer and the time taken. */
async function readyUntil(
  url: string,
  done: (a: Answer) => boolean,
  timeoutMs: number,
): Promise<{ answer: Answer; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const answer = await getPath(url, '/ready');
    if (done(answer) || Date.now() - t0 > timeoutMs) return { answer, ms: Date.now() - t0 };
    await pause(50);
  }
}

const problem = (await probeRedis()) ?? (await probePostgres());

describeWithServer('faults: Postgres job store unreachable', 'Redis and Postgres', problem, () => {
  const prefix = uniquePrefix('fault-pg');
  const schema = `test_fault_pg_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  let relay: TcpRelay;
  let direct: pg.Pool;
  let admin: Redis;
  let replica: Replica | undefined;

  beforeAll(async () => {
    const target = new URL(PG_DSN);
    relay = await startTcpRelay(target.hostname, Number(target.port || 5432));
    direct = new pg.Pool({ connectionString: PG_DSN });
    admin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    relay.restore();
    await replica?.service.close(0);
    await relay.close();
    await direct.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await direct.end();
    admin.disconnect();
    await deleteKeys(REDIS_URL, prefix);
  });

  it(
    'is not ready and refuses intake while Postgres is away, and loses nothing it had',
    { timeout: 60_000 },
    async () => {
      const probe: TestAgentProbe = { executions: new Map(), started: [] };
      const { definition } = createTestAgent(probe);
      const config = loadConfig(
        { REDIS_URL, PG_DSN: viaRelay(PG_DSN, relay) },
        { agentName: definition.name, port: 0 },
      );
      const backend = await createJobBackendFromConfig(config, {
        redis: { prefix, worker: WORKER },
        postgres: { schema, connectionTimeoutMs: 1_000, queryTimeoutMs: 2_000 },
      });
      expect(backend.name).toBe('redis+postgres');
      replica = await listen(await startTestService(definition, { backend }));
      const { url } = replica;
      expect((await getPath(url, '/ready')).status).toBe(200);

      const before: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = await postJob(url, tenant, { kind: 'echo', input: { message: `before ${i}` } });
        expect(a.status).toBe(202);
        before.push(String(a.body?.job_id));
      }
      expect([...(await waitAllTerminal(url, tenant, before, 5_000)).values()].map((r) => r.status)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      // A job that is running when Postgres goes away.
      const across = await postJob(url, tenant, { kind: 'sleep', input: { ms: 1_000 } });
      const acrossId = String(across.body?.job_id);
      for (let t = Date.now(); probe.executions.get(acrossId) === undefined && Date.now() - t < 5_000;)
        await pause(10);
      expect(probe.executions.get(acrossId)).toBe(1);

      // BullMQ numbers every add from one counter: unchanged means nothing was enqueued.
      const addCounter = `${prefix}:agent.${definition.name}:id`;
      const addsBefore = await admin.get(addCounter);
      relay.cut();
      const cutAt = Date.now();
      const down = await readyUntil(url, (a) => a.status === 503, 10_000);
      const downDetails = down.answer.body?.details as {
        failing?: string[];
        checks?: Record<string, { ok: boolean }>;
      };

      const key = { 'idempotency-key': `"during-outage-${randomUUID()}"` };
      const refused: Answer[] = [];
      for (let i = 0; i < 5; i++) {
        refused.push(
          await postJob(url, tenant, { kind: 'echo', input: { message: 'during' } }, i === 0 ? key : {}),
        );
      }
      const addsDuring = await admin.get(addCounter);
      const depthDuring = await backend.queue.depth();
      // Stay away until the running job has finished its work and must record the outcome.
      await pause(cutAt + 2_000 - Date.now());
      const stillDown = (await getPath(url, '/ready')).status;

      relay.restore();
      const up = await readyUntil(url, (a) => a.status === 200, 15_000);
      const after = await postJob(url, tenant, { kind: 'echo', input: { message: 'during' } }, key);
      const afterId = String(after.body?.job_id);
      const done = await waitAllTerminal(url, tenant, [acrossId, afterId], 15_000);
      const { rows } = await direct.query<{ job_id: string; status: string }>(
        `SELECT job_id, status FROM ${schema}.agent_jobs WHERE tenant_id = $1`,
        [tenant],
      );
      const acrossRec = done.get(acrossId);

      console.log(
        `[fault postgres-outage] ready_503_after_ms=${down.ms} failing=${JSON.stringify(downDetails?.failing)} ` +
          `intake_during=${JSON.stringify(refused.map((a) => `${a.status} ${String(a.body?.code)}`))} ` +
          `adds_before=${addsBefore} adds_during=${addsDuring} depth_during=${JSON.stringify(depthDuring)} ` +
          `ready_after_2s=${stillDown} ready_200_after_restore_ms=${up.ms} intake_after=${after.status} rows=${rows.length} ` +
          `job_across_outage=${acrossRec?.status} attempts=${acrossRec?.attempts} executions=${probe.executions.get(acrossId)}`,
      );

      expect(down.answer.status).toBe(503);
      expect(down.ms).toBeLessThan(5_000);
      expect(down.answer.body?.code).toBe('not_ready');
      expect(down.answer.body?.detail).toContain('postgres');
      expect(downDetails.failing).toEqual(['postgres']);
      expect(downDetails.checks?.redis?.ok).toBe(true);
      for (const a of refused) {
        expect(a.status).toBe(503);
        expect(a.body?.code).toBe('dependency_unavailable');
        expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      expect(addsDuring).toBe(addsBefore);
      expect(stillDown).toBe(503);

      expect(up.answer.status).toBe(200);
      expect(up.ms).toBeLessThan(10_000);
      expect(after.status).toBe(202);
      expect(after.headers.get('idempotent-replayed')).toBeNull();
      expect(done.get(afterId)?.status).toBe('succeeded');
      expect(probe.executions.get(afterId)).toBe(1);
      for (const id of before) expect((await getJob(url, tenant, id))?.status).toBe('succeeded');
      expect(new Map(rows.map((r) => [r.job_id, r.status]))).toEqual(
        new Map([...before, acrossId, afterId].map((id) => [id, 'succeeded'])),
      );
      expect(acrossRec?.status).toBe('succeeded');
    },
  );
});

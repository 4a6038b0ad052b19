/**
 * Redis drops every connection in the middle of a steady load on two replicas (SPEC §3:
 * at-least-once delivery, effectively-once effects; intake refuses with 503 rather than accepting
 * what it cannot keep). Clients retry refused submissions with the same idempotency key, as a real
 * client would. Afterwards no acknowledged job is lost, no job's effect happened twice, and no job
 * ran that no client was told about.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createRedisBackend } from '../../../agents/common/src/adapters/redis/redis-backend.js';
import { isTerminal } from '../../../agents/common/src/contract/schemas.js';
import { startTestService } from '../../../agents/common/src/testing/harness.js';
import { createTestAgent, type TestAgentProbe } from '../../../agents/common/src/testing/test-agent.js';
import {
  getPath,
  listen,
  pause,
  postJob,
  waitAllTerminal,
  type Answer,
  type Replica,
} from '../helpers/agent-http.js';
import { gateBackend, type GatePoint } from '../helpers/gated-backend.js';
import { LEDGER_AGENT, createLedgerAgent, readLedger } from '../helpers/ledger-agent.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from '../helpers/live-servers.js';
import { startTcpRelay, viaRelay, type TcpRelay } from '../helpers/tcp-relay.js';

const N = 200;
const CLIENTS = 8;
/** One submission every 20 ms: the load lasts about 4 s. */
const SPACING_MS = 20;
/** The cut comes when half the submissions are scheduled, and lasts this long. */
const OUTAGE_MS = 1_500;
/** A client gives up on a submission this long after the load started. */
const GIVE_UP_AFTER_MS = 25_000;
/** Short locks so a job whose worker lost Redis comes back soon. */
const WORKER = { lockDurationMs: 1_500, stalledIntervalMs: 500, redeliveryDelayMs: 50 };

interface Submission {
  key: string;
  body: { kind: 'echo'; input: { message: string } } | { kind: 'sleep'; input: { ms: number } };
  jobIds: Set<string>;
  tries: number;
  accepted: boolean;
}

describeWithServer('faults: Redis connections cut during load', 'Redis', await probeRedis(), () => {
  const prefix = uniquePrefix('fault-redis');
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const replicas: Replica[] = [];
  let relay: TcpRelay;
  let admin: Redis;
  let ledger: { close: () => void } | undefined;

  beforeAll(async () => {
    const target = new URL(REDIS_URL);
    relay = await startTcpRelay(target.hostname, Number(target.port || 6379));
    admin = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    relay.restore();
    await Promise.all(replicas.splice(0).map((r) => r.service.close(0)));
    ledger?.close();
  });

  afterAll(async () => {
    await relay.close();
    admin.disconnect();
    await deleteKeys(REDIS_URL, prefix);
  });

  it(
    'loses no acknowledged job, applies no effect twice and runs nothing unasked',
    { timeout: 60_000 },
    async () => {
      const agent = createLedgerAgent(REDIS_URL, prefix);
      ledger = agent;
      for (let i = 0; i < 2; i++) {
        const backend = await createRedisBackend({
          agent: LEDGER_AGENT,
          url: viaRelay(REDIS_URL, relay),
          prefix,
          worker: WORKER,
        });
        const service = await startTestService(agent.definition, {
          backend,
          engine: { maxWorkers: 4, maxQueueDepth: 1_000, defaultDeadlineMs: 60_000 },
        });
        replicas.push(await listen(service));
      }

      const plan: Submission[] = Array.from({ length: N }, (_, i) => ({
        key: `"load-${i}-${randomUUID()}"`,
        body:
          i % 4 === 0
            ? { kind: 'sleep', input: { ms: 200 + (i % 5) * 100 } }
            : { kind: 'echo', input: { message: `m${i}` } },
        jobIds: new Set(),
        tries: 0,
        accepted: false,
      }));
      const statuses = new Map<string, number>();
      const count = (what: string): void => {
        statuses.set(what, (statuses.get(what) ?? 0) + 1);
      };

      const t0 = Date.now();
      const outage = (async () => {
        await pause(t0 + (N / 2) * SPACING_MS - Date.now());
        relay.cut();
        const cutAt = Date.now() - t0;
        await pause(OUTAGE_MS);
        relay.restore();
        return { cutAt, restoredAt: Date.now() - t0 };
      })();

      let next = 0;
      const client = async (): Promise<void> => {
        for (let i = next++; i < N; i = next++) {
          const sub = plan[i] as Submission;
          await pause(t0 + i * SPACING_MS - Date.now());
          while (!sub.accepted && Date.now() - t0 < GIVE_UP_AFTER_MS) {
            // Behind a load balancer a retry may land on the other replica.
            const target = replicas[(i + sub.tries) % replicas.length] as Replica;
            sub.tries++;
            let wait = 200;
            try {
              const a = await postJob(target.url, tenant, sub.body, { 'idempotency-key': sub.key });
              const code = typeof a.body?.code === 'string' ? ` ${a.body.code}` : '';
              count(`${a.status}${code}`);
              if (a.status === 202) {
                sub.jobIds.add(String(a.body?.job_id));
                sub.accepted = true;
              } else {
                wait = Math.min(1_000, 1_000 * Number(a.headers.get('retry-after') ?? '0.2'));
              }
            } catch (err) {
              count(`network ${(err as Error).name}`);
            }
            if (!sub.accepted) await pause(wait);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      const window = await outage;
      const loadMs = Date.now() - t0;

      const accepted = plan.filter((s) => s.accepted);
      const acceptedIds = new Set(accepted.flatMap((s) => [...s.jobIds]));
      const drainStart = Date.now();
      const records = await waitAllTerminal((replicas[0] as Replica).url, tenant, acceptedIds, 25_000);
      const drainMs = Date.now() - drainStart;
      // Wait for the queue to empty too, so a late redelivery would still show up in the counts.
      const queue = (replicas[0] as Replica).service.backend.queue;
      for (let d = await queue.depth(); d.waiting + d.active + d.delayed > 0; d = await queue.depth()) {
        if (Date.now() - drainStart > 30_000) break;
        await pause(100);
      }

      const lost = [...acceptedIds].filter((id) => {
        const rec = records.get(id);
        return rec === undefined || !isTerminal(rec.status);
      });
      const splitKeys = plan.filter((s) => s.jobIds.size > 1);
      const stored = await (replicas[0] as Replica).service.backend.store.list({
        tenantId: tenant,
        limit: 5_000,
      });
      const unasked = stored.filter((r) => !acceptedIds.has(r.job_id));
      const reading = await readLedger(admin, prefix);
      const ranUnasked = [...reading.executions.keys()].filter((id) => !acceptedIds.has(id));
      const executions = [...reading.executions.values()].reduce((a, b) => a + b, 0);
      const effects = [...reading.applied.values()].reduce((a, b) => a + b, 0);
      const duplicatedEffects = [...reading.applied.values()].filter((n) => n > 1).length;
      const runTwice = [...reading.executions.values()].filter((n) => n > 1).length;
      const byStatus = new Map<string, number>();
      for (const r of records.values()) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);

      console.log(
        `[fault redis-outage] submissions=${N} accepted=${accepted.length} requests=${[...statuses.values()].reduce((a, b) => a + b, 0)} ` +
          `answers=${JSON.stringify(Object.fromEntries(statuses))} cut_at_ms=${window.cutAt} restored_at_ms=${window.restoredAt} ` +
          `load_ms=${loadMs} drain_ms=${drainMs} terminal=${JSON.stringify(Object.fromEntries(byStatus))} ` +
          `lost=${lost.length} split_keys=${splitKeys.length} unasked_records=${unasked.length}${JSON.stringify(unasked.map((r) => r.status))} ` +
          `unasked_runs=${ranUnasked.length} executions=${executions} jobs_run_twice=${runTwice} ` +
          `effects=${effects} ledger_total=${reading.total} duplicated_effects=${duplicatedEffects}`,
      );

      // The outage really refused work, and every client got its job in the end.
      expect([...statuses.keys()].filter((s) => s.startsWith('503')).length).toBeGreaterThan(0);
      expect(
        plan.filter((s) => !s.accepted).map((s) => s.key),
        'submissions never accepted (their key stayed pending; see the cut-at tests below)',
      ).toEqual([]);
      expect([...statuses.keys()].filter((s) => /^5\d\d/.test(s) && !s.startsWith('503'))).toEqual([]);
      expect(splitKeys.map((s) => [...s.jobIds])).toEqual([]);
      expect(lost).toEqual([]);
      expect(byStatus.get('succeeded')).toBe(acceptedIds.size);
      expect(unasked.map((r) => `${r.job_id} ${r.status}`)).toEqual([]);
      expect(ranUnasked).toEqual([]);
      expect(duplicatedEffects).toBe(0);
      expect(effects).toBe(acceptedIds.size);
      expect(reading.total).toBe(acceptedIds.size);
      expect(executions).toBeGreaterThanOrEqual(effects);
    },
  );

  // A cut that lands inside one intake, after its idempotency key was claimed: the client gets a
  // 503 and retries with the same key once Redis is back. It must then get its job (one job, run
  // once), not `idempotency_key_in_use` for as long as the key lives.
  it.each<GatePoint>(['store.create', 'idempotency.complete'])(
    'lets a client whose intake was cut at %s get its job with the same key once Redis is back',
    { timeout: 30_000 },
    async (point) => {
      const probe: TestAgentProbe = { executions: new Map(), started: [] };
      const { definition } = createTestAgent(probe);
      const inner = await createRedisBackend({
        agent: definition.name,
        url: viaRelay(REDIS_URL, relay),
        prefix: `${prefix}-${point}`,
        worker: WORKER,
      });
      const gated = gateBackend(inner, point);
      const replica = await listen(await startTestService(definition, { backend: gated.backend }));
      replicas.push(replica);
      const cutTenant = `t-${randomUUID().slice(0, 8)}`;
      const key = { 'idempotency-key': `"cut-${randomUUID()}"` };
      const body = { kind: 'echo', input: { message: 'cut mid-intake' } };

      const first = postJob(replica.url, cutTenant, body, key);
      await gated.entered;
      relay.cut();
      gated.open();
      const refused = await first;
      relay.restore();
      expect(refused.status).toBe(503);

      const t0 = Date.now();
      const answers: Answer[] = [];
      while (Date.now() - t0 < 10_000) {
        const ready = await getPath(replica.url, '/ready');
        if (ready.status === 200) {
          const a = await postJob(replica.url, cutTenant, body, key);
          answers.push(a);
          if (a.status === 202) break;
          await pause(1_000 * Number(a.headers.get('retry-after') ?? '1'));
        } else {
          await pause(100);
        }
      }
      const seen = answers.map((a) => `${a.status} ${String(a.body?.code ?? a.body?.job_id)}`);
      const [, idemKeys] = await admin.scan(
        '0',
        'MATCH',
        `${prefix}-${point}*.idem:*${cutTenant}*`,
        'COUNT',
        10_000,
      );
      const keyTtls = await Promise.all(
        idemKeys.map(async (k) => `${await admin.hget(k, 'state')}/${await admin.pttl(k)}ms`),
      );
      const jobs = await inner.store.list({ tenantId: cutTenant, limit: 10 });
      console.log(
        `[fault cut-at-${point}] first=${refused.status} ${String(refused.body?.code)} retries=${answers.length} ` +
          `answers=${JSON.stringify([...new Set(seen)])} retry_ms=${Date.now() - t0} key=${JSON.stringify(keyTtls)} ` +
          `jobs=${JSON.stringify(jobs.map((r) => r.status))} executions=${[...probe.executions.values()].reduce((a, b) => a + b, 0)}`,
      );
      const last = answers.at(-1);
      expect(last?.status, `answers after the outage: ${seen.join(', ')}`).toBe(202);
      const jobId = String(last?.body?.job_id);
      const done = await waitAllTerminal(replica.url, cutTenant, [jobId], 10_000);
      expect(done.get(jobId)?.status).toBe('succeeded');
      expect((await inner.store.list({ tenantId: cutTenant, limit: 10 })).map((r) => r.job_id)).toEqual([
        jobId,
      ]);
      expect(probe.executions.get(jobId)).toBe(1);
    },
  );
});

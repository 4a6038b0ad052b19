/**
 * A replica is SIGKILLed while it streams tokens for two jobs (SPEC §3: a killed worker does not
 * lose the job; SSE ids are monotonic per job, none twice; the stream ends after the terminal
 * event). Clients following the jobs' event streams on the other replica see each job resumed
 * there and finished, on one well-formed stream: the dead attempt's events stay, in order.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createRedisBackend } from '../../../agents/common/src/adapters/redis/redis-backend.js';
import { TERMINAL_EVENT_TYPES, type JobEvent } from '../../../agents/common/src/contract/schemas.js';
import { startTestService } from '../../../agents/common/src/testing/harness.js';
import { createTestAgent, type TestAgentProbe } from '../../../agents/common/src/testing/test-agent.js';
import { followEvents, getJob, listen, postJob, type Replica } from '../helpers/agent-http.js';
import {
  REDIS_URL,
  deleteKeys,
  describeWithServer,
  probeRedis,
  uniquePrefix,
} from '../helpers/live-servers.js';
import { killReplica, spawnReplica } from '../helpers/spawn-replica.js';

const TOKENS = 40;
const TOKEN_DELAY_MS = 50;
/** Tokens each job has streamed on the replica that dies before it is killed. */
const TOKENS_BEFORE_KILL = 8;
const LOCK_MS = 1_500;

describeWithServer('faults: replica killed while streaming tokens', 'Redis', await probeRedis(), () => {
  const prefix = uniquePrefix('fault-stream');
  const tenant = `t-${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  const replicas: Replica[] = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map(killReplica));
    await Promise.all(replicas.splice(0).map((r) => r.service.close(0)));
  });

  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
  });

  it(
    'resumes both jobs on the survivor, and each stream stays in order with no id twice',
    { timeout: 45_000 },
    async () => {
      const probe: TestAgentProbe = { executions: new Map(), started: [] };
      const { definition } = createTestAgent(probe);
      const backend = await createRedisBackend({
        agent: definition.name,
        url: REDIS_URL,
        prefix,
        worker: { lockDurationMs: LOCK_MS, stalledIntervalMs: 500, redeliveryDelayMs: 50 },
      });
      // The survivor takes intake and serves the streams but does no work until the other dies.
      const survivor = await listen(await startTestService(definition, { backend, start: false }));
      replicas.push(survivor);
      const { child: doomed } = await spawnReplica(
        new URL('../helpers/test-agent-replica.ts', import.meta.url),
        {
          REPLICA_REDIS_URL: REDIS_URL,
          REPLICA_PREFIX: prefix,
          REPLICA_LOCK_MS: String(LOCK_MS),
          AGENT_MAX_WORKERS: '2',
        },
      );
      children.push(doomed);

      const jobIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const a = await postJob(survivor.url, tenant, {
          kind: 'stream',
          input: { n: TOKENS, delay_ms: TOKEN_DELAY_MS },
        });
        expect(a.status).toBe(202);
        jobIds.push(String(a.body?.job_id));
      }

      const tokensSeen = new Map<string, number>();
      let killAt = 0;
      let killed: Promise<void> | undefined;
      const onEvent = (e: JobEvent): void => {
        if (e.type !== 'token') return;
        tokensSeen.set(e.job_id, (tokensSeen.get(e.job_id) ?? 0) + 1);
        const ready = jobIds.every((id) => (tokensSeen.get(id) ?? 0) >= TOKENS_BEFORE_KILL);
        if (ready && killed === undefined) {
          killAt = Date.now();
          killed = killReplica(doomed).then(() => survivor.service.engine.start());
        }
      };
      const streams = await Promise.all(
        jobIds.map((id) =>
          followEvents(survivor.url, tenant, id, {
            until: (e) => TERMINAL_EVENT_TYPES.has(e.type),
            timeoutMs: 30_000,
            onEvent,
          }),
        ),
      );
      await killed;
      expect(killAt).toBeGreaterThan(0);

      for (const [i, events] of streams.entries()) {
        const jobId = jobIds[i] as string;
        const ids = events.map((e) => e.id);
        const starts = events.filter((e) => e.type === 'job.started');
        const resumed = events.findIndex((e) => e === starts[1]);
        const tokensOf = (from: number, to: number): string[] =>
          events
            .slice(from, to)
            .filter((e) => e.type === 'token')
            .map((e) => String(e.data.text).trim());
        const deadTokens = tokensOf(0, resumed);
        const liveTokens = tokensOf(resumed, events.length);
        const rec = await getJob(survivor.url, tenant, jobId);
        console.log(
          `[fault stream-replica-kill] job${i}: events=${events.length} last_id=${ids.at(-1)} starts=${starts.length} dead_attempt_tokens=${deadTokens.length} ` +
            `resumed_attempt_tokens=${liveTokens.length} resumed_after_kill_ms=${Date.parse(String(starts[1]?.at)) - killAt} ` +
            `attempts=${rec?.attempts} status=${rec?.status} survivor_executions=${probe.executions.get(jobId)}`,
        );

        // Well-formed: ids strictly increasing from 1 with none twice or missing; one terminal event, last.
        expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => k + 1));
        expect(events.filter((e) => TERMINAL_EVENT_TYPES.has(e.type)).map((e) => e.type)).toEqual([
          'job.succeeded',
        ]);
        expect(events.at(-1)?.type).toBe('job.succeeded');
        expect(events[0]?.type).toBe('job.queued');
        // The dead attempt streamed some tokens; the survivor's attempt streamed all of them, in order.
        expect(starts.map((e) => e.data.attempt)).toEqual([1, 2]);
        expect(deadTokens.length).toBeGreaterThanOrEqual(TOKENS_BEFORE_KILL);
        expect(deadTokens.length).toBeLessThan(TOKENS);
        expect(liveTokens).toEqual(Array.from({ length: TOKENS }, (_, k) => `t${k}`));
        expect(rec).toMatchObject({
          status: 'succeeded',
          attempts: 2,
          result: { text: liveTokens.join(' ') },
        });
        expect(probe.executions.get(jobId)).toBe(1);
      }
    },
  );
});

import { randomUUID } from 'node:crypto';
import { AgentError } from '../contract/errors.js';
import {
  SCHEMA_VERSION,
  TERMINAL_EVENT_TYPES,
  isTerminal,
  type DeadLetter,
  type JobAccepted,
  type JobRecord,
  type JobRequest,
} from '../contract/schemas.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { JobBackend, QueueConsumer } from '../ports/job-backend.js';
import type { Logger } from '../ports/logger.js';
import type { AgentDefinition, AnyKind } from '../service/agent-definition.js';
import { fingerprint, scopeKey } from './idempotency.js';
import { TenantRateLimiter } from './rate-limit.js';
import { JobRunner } from './runner.js';
import { zodIssues } from './validation.js';

/** Engine settings (from the agent config). */
export interface EngineOptions {
  maxWorkers: number;
  maxQueueDepth: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  defaultDeadlineMs: number;
  idempotencyTtlS: number;
  tenantRatePerS: number;
  tenantBurst: number;
  /** How long a pending Idempotency-Key claim protects a request in flight (default 5 s). */
  idempotencyPendingLeaseMs?: number;
}

/** Default of {@link EngineOptions.idempotencyPendingLeaseMs}. */
export const DEFAULT_PENDING_LEASE_MS = 5000;

/** A validated submission. */
export interface Submission {
  tenantId: string;
  body: JobRequest;
  idempotencyKey?: string;
  traceId: string;
  /** Seconds the caller is willing to wait for the result (`Prefer: wait=N`). */
  waitS?: number;
}

/** What intake answers: 202 with the accepted body, or 200 with the finished record. */
export interface SubmitResult {
  status: 200 | 202;
  body: JobAccepted | JobRecord;
  jobId: string;
  replayed: boolean;
}

/**
 * The job engine: intake (validation, idempotency, admission) and the worker loop. It talks to
 * storage only through the {@link JobBackend} port.
 */
export class JobEngine {
  private readonly limiter: TenantRateLimiter;
  private readonly runner: JobRunner;
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private consumer: QueueConsumer | undefined;
  private stopping = false;

  constructor(
    private readonly agent: AgentDefinition,
    private readonly backend: JobBackend,
    private readonly opts: EngineOptions,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.limiter = new TenantRateLimiter(opts.tenantRatePerS, opts.tenantBurst, now);
    this.runner = new JobRunner(
      agent,
      backend,
      { baseMs: opts.retryBaseMs, maxMs: opts.retryMaxMs },
      metrics,
      log,
      now,
      (jobId) => this.clearExpiry(jobId),
    );
    metrics.setQueueDepthSource(async () => {
      const d = await backend.queue.depth();
      return d.waiting + d.delayed;
    });
  }

  /** True once {@link stop} was called: intake answers 503. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Starts the workers. */
  start(): void {
    this.consumer ??= this.backend.queue.consume((item) => this.runner.run(item), {
      concurrency: this.opts.maxWorkers,
    });
  }

  /** Graceful shutdown: refuse intake, let running jobs finish for `graceMs`, then hand them back. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.expiryTimers.values()) clearTimeout(t);
    this.expiryTimers.clear();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    const abortTimer = setTimeout(() => this.runner.abortAll('shutting_down'), graceMs);
    try {
      await consumer.stop(graceMs + 2000);
    } finally {
      clearTimeout(abortTimer);
    }
  }

  /** Looks up a kind or throws `unknown_kind`. */
  kind(name: string): AnyKind {
    const kind = Object.hasOwn(this.agent.kinds, name) ? this.agent.kinds[name] : undefined;
    if (!kind) {
      throw new AgentError('unknown_kind', {
        detail: `agent ${this.agent.name} accepts: ${Object.keys(this.agent.kinds).join(', ')}`,
        details: { kinds: Object.keys(this.agent.kinds) },
      });
    }
    return kind;
  }

  /** Validates, deduplicates, admits and enqueues a job. */
  async submit(sub: Submission): Promise<SubmitResult> {
    if (this.stopping) throw new AgentError('shutting_down', { retryAfterS: 1 });
    const kind = this.kind(sub.body.kind);
    const parsed = kind.input.safeParse(sub.body.input);
    if (!parsed.success) {
      throw new AgentError('invalid_input', { errors: zodIssues(parsed.error, 'input') });
    }
    const now = this.now();
    const deadlineAt = this.deadlineOf(sub.body, now);

    const wait = async (r: SubmitResult): Promise<SubmitResult> =>
      sub.waitS ? this.waitIfAsked(r, sub.waitS) : r;

    const jobId = randomUUID();
    let claimedKey: string | undefined;
    if (sub.idempotencyKey !== undefined) {
      const key = scopeKey(this.agent.name, sub.tenantId, sub.idempotencyKey);
      // The deadline is not part of what the request asks for: a redriven or retried parent
      // re-sends the same step with a new deadline and must reach the same job.
      const { deadline_ms: _budget, deadline_at: _until, ...identity } = sub.body;
      const replay = await this.claimKey(key, fingerprint(identity), jobId, sub.tenantId);
      if (replay) return wait(replay);
      claimedKey = key;
    }

    try {
      const retryAfter = this.limiter.take(sub.tenantId);
      if (retryAfter > 0) {
        throw new AgentError('quota_exceeded', {
          retryAfterS: retryAfter,
          detail: 'tenant submission rate exceeded',
        });
      }
      const record = this.newRecord(sub, kind, now, deadlineAt, jobId);
      await this.backend.store.create(record);
      // `job.queued` goes in before the item can reach a worker, so it is always event 1. A refused
      // intake deletes the record, and its events with it: nothing is left half-written.
      const rollback = async (): Promise<void> => {
        await this.backend.store.delete(record.job_id);
      };
      try {
        await this.backend.events.append(record.job_id, {
          type: 'job.queued',
          data: { kind: record.kind, deadline_at: record.deadline_at, attempt: 0 },
        });
      } catch (err) {
        await rollback();
        throw err;
      }
      const added = await this.backend.queue
        .add(
          { jobId: record.job_id, tenantId: record.tenant_id, kind: record.kind, enqueuedAt: now },
          { maxDepth: this.opts.maxQueueDepth },
        )
        .catch(async (err: unknown) => {
          await rollback();
          throw err;
        });
      if (!added) {
        await rollback();
        this.metrics.error('queue_full');
        throw new AgentError('queue_full', { retryAfterS: this.retryAfterWhenFull() });
      }
      this.scheduleExpiry(record.job_id, deadlineAt - now);
      const body = this.accepted(record);
      if (claimedKey) {
        await this.backend.idempotency.complete(
          claimedKey,
          { jobId: record.job_id, response: { status: 202, body } },
          this.opts.idempotencyTtlS * 1000,
        );
      }
      claimedKey = undefined;
      return await wait({ status: 202, body, jobId: record.job_id, replayed: false });
    } finally {
      if (claimedKey) {
        // If this fails too (the store is down), the claim stays pending and a retry takes it over
        // once the pending lease has passed.
        await this.backend.idempotency.release(claimedKey, jobId).catch((err: unknown) => {
          this.log.warn({ err, job_id: jobId }, 'could not release an idempotency claim');
        });
      }
    }
  }

  /**
   * Claims an Idempotency-Key for `jobId`. Returns the replayed answer when the key already names a
   * job, undefined when this request now holds the key. A pending claim older than the pending lease
   * belongs to a request that died mid-intake: its job is replayed if its record was written, else
   * the claim is taken over.
   */
  private async claimKey(
    key: string,
    fp: string,
    jobId: string,
    tenantId: string,
  ): Promise<SubmitResult | undefined> {
    const ttl = this.opts.idempotencyTtlS * 1000;
    for (let round = 0; round < 2; round++) {
      const claim = await this.backend.idempotency.claim(key, fp, ttl, jobId);
      if (claim.claimed) return undefined;
      const { entry } = claim;
      if (entry.fingerprint !== fp) throw new AgentError('idempotency_key_mismatch');
      if (entry.state === 'completed' && entry.jobId && entry.response) {
        return { status: 202, body: entry.response.body as JobAccepted, jobId: entry.jobId, replayed: true };
      }
      const lease = this.opts.idempotencyPendingLeaseMs ?? DEFAULT_PENDING_LEASE_MS;
      const stale = entry.claimedAt !== undefined && this.now() - entry.claimedAt > lease;
      if (!stale || !entry.jobId) break;
      const rec = await this.backend.store.get(entry.jobId);
      if (rec && rec.tenant_id === tenantId) {
        const body = this.accepted(rec);
        await this.backend.idempotency
          .complete(key, { jobId: rec.job_id, response: { status: 202, body } }, ttl)
          .catch(() => undefined);
        return { status: 202, body, jobId: rec.job_id, replayed: true };
      }
      await this.backend.idempotency.release(key, entry.jobId);
    }
    throw new AgentError('idempotency_key_in_use', { retryAfterS: 1 });
  }

  /** The job as its tenant sees it; another tenant's job is `job_not_found`. */
  async get(tenantId: string, jobId: string): Promise<JobRecord> {
    const rec = await this.backend.store.get(jobId);
    if (!rec || rec.tenant_id !== tenantId || rec.agent !== this.agent.name) {
      throw new AgentError('job_not_found', { detail: `no job ${jobId}` });
    }
    if (rec.status === 'queued' && Date.parse(rec.deadline_at) <= this.now()) {
      return (await this.runner.expire(rec.job_id, ['queued'])) ?? rec;
    }
    return rec;
  }

  /** Cancels a queued job at once, or asks the worker running it to stop. */
  async cancel(tenantId: string, jobId: string): Promise<JobRecord> {
    const rec = await this.get(tenantId, jobId);
    if (isTerminal(rec.status)) {
      throw new AgentError('job_not_cancellable', {
        detail: `job is ${rec.status}`,
        details: { status: rec.status },
      });
    }
    if (rec.status === 'queued') {
      const done = await this.runner.finish(rec, ['queued'], 'cancelled', {
        error: undefined,
      });
      if (done) return done;
    }
    await this.backend.events.append(jobId, { type: 'job.cancel_requested', data: {} });
    this.runner.abortLocal(jobId, 'cancelled');
    return (await this.backend.store.get(jobId)) ?? rec;
  }

  /** Waits until the job is terminal or `timeoutMs` passes; returns the latest record. */
  async waitForTerminal(jobId: string, timeoutMs: number): Promise<JobRecord | undefined> {
    const current = await this.backend.store.get(jobId);
    if (!current || isTerminal(current.status) || timeoutMs <= 0) return current;
    return new Promise<JobRecord | undefined>((resolve) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        void this.backend.store.get(jobId).then(resolve, () => resolve(undefined));
      };
      const timer = setTimeout(finish, timeoutMs);
      void this.backend.events
        .subscribe(jobId, (ev) => {
          if (TERMINAL_EVENT_TYPES.has(ev.type)) finish();
        })
        .then(async (unsub) => {
          unsubscribe = unsub;
          if (settled) unsub();
          const again = await this.backend.store.get(jobId);
          if (!again || isTerminal(again.status)) finish();
        })
        .catch(finish);
    });
  }

  /** Dead letters of this agent, newest first. */
  listDeadLetters(tenantId: string, limit: number): Promise<DeadLetter[]> {
    return this.backend.dlq.list({ tenantId, limit });
  }

  /** One dead letter, tenant-checked. */
  async getDeadLetter(tenantId: string, jobId: string): Promise<DeadLetter> {
    const dl = await this.backend.dlq.get(jobId);
    if (!dl || dl.tenant_id !== tenantId)
      throw new AgentError('dead_letter_not_found', { detail: `no dead letter ${jobId}` });
    return dl;
  }

  /** Takes a job out of the DLQ and runs it once more. */
  async redrive(tenantId: string, jobId: string): Promise<JobRecord> {
    await this.getDeadLetter(tenantId, jobId);
    const dl = await this.backend.dlq.take(jobId);
    if (!dl) throw new AgentError('dead_letter_not_found', { detail: `no dead letter ${jobId}` });
    const now = this.now();
    const rec = await this.backend.store.get(jobId);
    const budget = rec
      ? Date.parse(rec.deadline_at) - Date.parse(rec.created_at)
      : this.opts.defaultDeadlineMs;
    // A redriven job runs once more, with its original time budget counted from now.
    const requeued = await this.backend.store.transition(jobId, ['failed'], {
      status: 'queued',
      max_attempts: (rec?.attempts ?? dl.attempts) + 1,
      deadline_at: new Date(now + budget).toISOString(),
      error: undefined,
      finished_at: undefined,
    });
    if (!requeued) {
      await this.backend.dlq.put(dl);
      throw new AgentError('job_not_cancellable', { detail: 'job is no longer failed' });
    }
    await this.backend.events.append(jobId, {
      type: 'job.queued',
      data: { redrive: true, attempt: requeued.attempts },
    });
    await this.backend.queue.add({
      jobId,
      tenantId: requeued.tenant_id,
      kind: requeued.kind,
      enqueuedAt: now,
    });
    return requeued;
  }

  private deadlineOf(body: JobRequest, now: number): number {
    let deadline = now + (body.deadline_ms ?? this.opts.defaultDeadlineMs);
    if (body.deadline_at) deadline = Math.min(deadline, Date.parse(body.deadline_at));
    if (deadline <= now)
      throw new AgentError('deadline_invalid', { detail: 'deadline_at is not in the future' });
    return deadline;
  }

  private newRecord(
    sub: Submission,
    kind: AnyKind,
    now: number,
    deadlineAt: number,
    jobId: string,
  ): JobRecord {
    const rec: JobRecord = {
      schema: SCHEMA_VERSION,
      job_id: jobId,
      agent: this.agent.name,
      kind: sub.body.kind,
      tenant_id: sub.tenantId,
      status: 'queued',
      input: sub.body.input,
      attempts: 0,
      max_attempts: sub.body.max_attempts ?? kind.maxAttempts ?? this.opts.maxAttempts,
      created_at: new Date(now).toISOString(),
      deadline_at: new Date(deadlineAt).toISOString(),
      trace_id: sub.traceId,
    };
    if (sub.idempotencyKey !== undefined) rec.idempotency_key = sub.idempotencyKey;
    if (sub.body.parent_job_id !== undefined) rec.parent_job_id = sub.body.parent_job_id;
    if (sub.body.metadata !== undefined) rec.metadata = sub.body.metadata;
    return rec;
  }

  private accepted(rec: JobRecord): JobAccepted {
    return {
      schema: SCHEMA_VERSION,
      job_id: rec.job_id,
      status: rec.status,
      location: `/v1/jobs/${rec.job_id}`,
      events: `/v1/jobs/${rec.job_id}/events`,
    };
  }

  private async waitIfAsked(r: SubmitResult, waitS: number): Promise<SubmitResult> {
    const rec = await this.waitForTerminal(r.jobId, waitS * 1000);
    return rec && isTerminal(rec.status) ? { ...r, status: 200, body: rec } : r;
  }

  private retryAfterWhenFull(): number {
    return Math.max(1, Math.ceil(this.opts.retryBaseMs / 1000));
  }

  private clearExpiry(jobId: string): void {
    const timer = this.expiryTimers.get(jobId);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(jobId);
  }

  private scheduleExpiry(jobId: string, inMs: number): void {
    const timer = setTimeout(
      () => {
        this.expiryTimers.delete(jobId);
        void this.runner.expire(jobId, ['queued']).catch((err: unknown) => {
          this.log.warn({ err, job_id: jobId }, 'expiring queued job failed');
        });
      },
      Math.max(0, inMs),
    );
    timer.unref();
    this.expiryTimers.set(jobId, timer);
  }
}

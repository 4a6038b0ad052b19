import { randomBytes } from 'node:crypto';
import { AgentError, toAgentError } from '../contract/errors.js';
import { toProblem } from '../contract/problem.js';
import { isTerminal, type JobEventType, type JobRecord, type JobStatus } from '../contract/schemas.js';
import type { AgentMetrics } from '../observability/metrics.js';
import { formatTraceparent } from '../observability/tracing.js';
import type { JobBackend, JobPatch, QueueItem } from '../ports/job-backend.js';
import type { Logger } from '../ports/logger.js';
import type { AgentDefinition, JobContext } from '../service/agent-definition.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { deriveChildKey } from './idempotency.js';
import { zodIssues } from './validation.js';

const TERMINAL_EVENT: Record<'succeeded' | 'failed' | 'cancelled' | 'expired', JobEventType> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
  expired: 'job.expired',
};

type AbortCode = 'deadline_exceeded' | 'cancelled' | 'shutting_down';

/** Rejects with the signal's reason once it aborts; never settles otherwise. */
function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

/**
 * Runs delivered queue items: claims the job (queued → running), calls the capability under the
 * job's deadline and cancellation, validates the output, and records success, retry or failure.
 */
export class JobRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly agent: AgentDefinition,
    private readonly backend: JobBackend,
    private readonly retry: BackoffPolicy,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly onTerminal: (jobId: string) => void,
  ) {}

  /** Aborts every job running in this process (shutdown). */
  abortAll(code: AbortCode): void {
    for (const c of this.running.values()) c.abort(new AgentError(code));
  }

  /** Aborts one job if it runs in this process. */
  abortLocal(jobId: string, code: AbortCode): void {
    this.running.get(jobId)?.abort(new AgentError(code));
  }

  /** Handles one delivered item. Resolves to acknowledge it; rejects to have it delivered again. */
  async run(item: QueueItem): Promise<void> {
    const { store, events } = this.backend;
    const rec = await store.get(item.jobId);
    if (!rec || isTerminal(rec.status)) return;
    const now = this.now();
    const deadlineAt = Date.parse(rec.deadline_at);
    if (deadlineAt <= now) {
      await this.expire(rec.job_id, ['queued', 'running']);
      return;
    }
    const kind = Object.hasOwn(this.agent.kinds, rec.kind) ? this.agent.kinds[rec.kind] : undefined;
    // A redelivered item whose record says `running` was abandoned by a dead worker: take it over.
    const started = await store.transition(rec.job_id, ['queued', 'running'], {
      status: 'running',
      attempts: rec.attempts + 1,
      started_at: new Date(now).toISOString(),
    });
    if (!started) return;
    if (!kind) {
      await this.finish(started, ['running'], 'failed', {
        error: toProblem(new AgentError('unknown_kind', { retryable: false }), rec.trace_id),
      });
      return;
    }
    this.metrics.queueWaited(rec.kind, now - item.enqueuedAt);
    const startedEvent = await events.append(rec.job_id, {
      type: 'job.started',
      data: { attempt: started.attempts, max_attempts: started.max_attempts },
    });

    const controller = new AbortController();
    this.running.set(rec.job_id, controller);
    const deadlineTimer = setTimeout(
      () => controller.abort(new AgentError('deadline_exceeded')),
      Math.max(0, deadlineAt - this.now()),
    );
    const unsubscribe = await events.subscribe(rec.job_id, (ev) => {
      if (ev.type === 'job.cancel_requested') controller.abort(new AgentError('cancelled'));
    });
    const missed = await events.read(rec.job_id, startedEvent.id);
    if (missed.some((e) => e.type === 'job.cancel_requested')) controller.abort(new AgentError('cancelled'));

    const log = this.log.child({ trace_id: rec.trace_id, tenant_id: rec.tenant_id, job_id: rec.job_id });
    const ctx = this.context(started, controller.signal, deadlineAt, log);
    const t0 = performance.now();
    try {
      const input = kind.input.safeParse(started.input);
      if (!input.success) {
        throw new AgentError('invalid_input', { retryable: false, errors: zodIssues(input.error, 'input') });
      }
      const handling = kind.handler(input.data, ctx);
      handling.catch(() => undefined);
      const output = await Promise.race([handling, abortPromise(controller.signal)]);
      const parsed = kind.output.safeParse(output);
      if (!parsed.success) {
        throw new AgentError('output_invalid', {
          retryable: false,
          errors: zodIssues(parsed.error, 'output'),
        });
      }
      await this.finish(started, ['running'], 'succeeded', { result: parsed.data }, performance.now() - t0);
      log.info(
        { kind: rec.kind, attempt: started.attempts, ms: Math.round(performance.now() - t0) },
        'job succeeded',
      );
    } catch (thrown) {
      const reason = controller.signal.aborted ? (controller.signal.reason as unknown) : undefined;
      await this.failed(
        started,
        item,
        reason instanceof AgentError ? reason : thrown,
        performance.now() - t0,
        log,
      );
    } finally {
      clearTimeout(deadlineTimer);
      unsubscribe();
      this.running.delete(rec.job_id);
    }
  }

  /** Moves a job to `expired` (deadline passed) if it is still in one of `from`. */
  async expire(jobId: string, from: JobStatus[]): Promise<JobRecord | undefined> {
    const rec = await this.backend.store.get(jobId);
    if (!rec) return undefined;
    return this.finish(rec, from, 'expired', {
      error: toProblem(new AgentError('deadline_exceeded'), rec.trace_id),
    });
  }

  /** Moves a job to a terminal status (CAS from `from`), appends the terminal event and counts it. */
  async finish(
    rec: JobRecord,
    from: JobStatus[],
    status: 'succeeded' | 'failed' | 'cancelled' | 'expired',
    patch: JobPatch,
    latencyMs?: number,
  ): Promise<JobRecord | undefined> {
    const done = await this.backend.store.transition(rec.job_id, from, {
      ...patch,
      status,
      finished_at: new Date(this.now()).toISOString(),
    });
    if (!done) return undefined;
    const data: Record<string, unknown> = { status, attempts: done.attempts };
    if (done.result !== undefined) data.result = done.result;
    if (done.error !== undefined) data.error = done.error;
    await this.backend.events.append(rec.job_id, { type: TERMINAL_EVENT[status], data });
    this.metrics.taskFinished(rec.kind, status, latencyMs);
    this.onTerminal(rec.job_id);
    return done;
  }

  private async failed(
    rec: JobRecord,
    item: QueueItem,
    thrown: unknown,
    ms: number,
    log: Logger,
  ): Promise<void> {
    const err = toAgentError(thrown);
    this.metrics.error(err.code);
    const problem = toProblem(err, rec.trace_id);
    if (err.code === 'deadline_exceeded') {
      await this.finish(rec, ['running'], 'expired', { error: problem }, ms);
      log.warn({ kind: rec.kind }, 'job expired while running');
      return;
    }
    if (err.code === 'cancelled') {
      await this.finish(rec, ['running'], 'cancelled', { error: problem }, ms);
      return;
    }
    if (err.code === 'shutting_down') {
      // Not the job's fault: hand it back untouched and let the queue deliver it again.
      await this.backend.store.transition(rec.job_id, ['running'], {
        status: 'queued',
        attempts: rec.attempts - 1,
      });
      throw err;
    }
    if (err.retryable && rec.attempts < rec.max_attempts) {
      const delay = backoffDelay(this.retry, rec.attempts);
      const back = await this.backend.store.transition(rec.job_id, ['running'], {
        status: 'queued',
        error: problem,
      });
      if (!back) return;
      await this.backend.events.append(rec.job_id, {
        type: 'job.retrying',
        data: { attempt: rec.attempts, next_attempt: rec.attempts + 1, delay_ms: delay, error: problem },
      });
      await this.backend.queue.add({ ...item, enqueuedAt: this.now() + delay }, { delayMs: delay });
      log.warn(
        { kind: rec.kind, attempt: rec.attempts, delay_ms: delay, code: err.code, err: err.message },
        'job will retry',
      );
      return;
    }
    const done = await this.finish(rec, ['running'], 'failed', { error: problem }, ms);
    log.error({ kind: rec.kind, attempt: rec.attempts, code: err.code, err: err.message }, 'job failed');
    if (done && err.retryable) {
      await this.backend.dlq.put({
        schema: rec.schema,
        job_id: rec.job_id,
        queue: this.backend.dlq.name,
        tenant_id: rec.tenant_id,
        kind: rec.kind,
        error: problem,
        attempts: rec.attempts,
        trace_id: rec.trace_id,
        dead_at: new Date(this.now()).toISOString(),
      });
    }
  }

  private context(rec: JobRecord, signal: AbortSignal, deadlineAt: number, log: Logger): JobContext {
    const startedAt = this.now();
    let decided = false;
    const emit = async (type: JobEventType, data: Record<string, unknown>): Promise<void> => {
      await this.backend.events.append(rec.job_id, { type, data });
    };
    return {
      jobId: rec.job_id,
      tenantId: rec.tenant_id,
      traceId: rec.trace_id,
      traceparent: formatTraceparent(rec.trace_id, randomBytes(8).toString('hex'), true),
      attempt: rec.attempts,
      deadlineAt,
      signal,
      log,
      remainingMs: () => Math.max(0, deadlineAt - this.now()),
      idempotencyKey: (step) => deriveChildKey(rec.job_id, step),
      emit,
      token: (delta, data) => emit('token', { ...data, text: delta }),
      decided: () => {
        if (decided) return;
        decided = true;
        this.metrics.decided(this.now() - startedAt);
      },
    };
  }
}

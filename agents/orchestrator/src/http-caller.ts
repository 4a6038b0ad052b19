import {
  AgentError,
  isAgentError,
  toAgentError,
  type ErrorCode,
  type JobContext,
  type JobEvent,
  type JobRecord,
} from '@sutazai/agent-kit';
import type { AgentLink } from './agent-link.js';
import type { AgentCaller, CallOutcome, CapabilityAgent } from './pipeline.js';

/**
 * Codes a failed call keeps as they are; any other problem from a child's API is `dependency_failed`
 * (a child's `shutting_down` or `cancelled` must not read as this job's own shutdown or cancellation).
 */
const KEPT_CODES: ReadonlySet<ErrorCode> = new Set([
  'deadline_exceeded',
  'dependency_unavailable',
  'dependency_failed',
]);

/**
 * The {@link AgentCaller} of one orchestration job: runs each step as a job of the capability agent
 * over its job API, with the idempotency key derived from this job and the step, this job's
 * deadline, trace, tenant and cancellation, and relays the child's progress into this job's stream.
 * `step.started` goes out once the child job is accepted, so it names the child job.
 */
export function createHttpCaller(
  links: Readonly<Record<CapabilityAgent, AgentLink>>,
  ctx: JobContext,
): AgentCaller {
  let dispatched = false;
  return {
    async run(step, agent, kind, input): Promise<CallOutcome> {
      const link = links[agent];
      const guard = link.guard(ctx.signal);
      const t0 = performance.now();
      let jobId: string | undefined;
      try {
        if (!dispatched) {
          dispatched = true;
          ctx.decided();
        }
        const rec = await link.client.run(
          {
            kind,
            input,
            idempotencyKey: ctx.idempotencyKey(step),
            deadlineAt: ctx.deadlineAt,
            traceparent: ctx.traceparent,
            tenantId: ctx.tenantId,
            signal: guard.signal,
            parentJobId: ctx.jobId,
          },
          {
            onAccepted: async (id) => {
              jobId = id;
              await ctx.emit('step.started', { step, agent, job_id: id });
            },
            // Only generated text is worth streaming; the other steps are awaited in one long poll.
            ...(agent === 'generator' ? { onEvent: (ev: JobEvent) => relayEvent(ctx, step, agent, ev) } : {}),
          },
        );
        if (rec.status !== 'succeeded') throw childFailure(rec);
        const ms = Math.round(performance.now() - t0);
        await ctx.emit('step.completed', { step, agent, job_id: rec.job_id, ms });
        return { output: rec.result, jobId: rec.job_id, ms };
      } catch (err) {
        // This job's own cancellation or deadline: its runner reports that, not the step.
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        throw callFailure(err, jobId);
      } finally {
        guard.release();
      }
    },
  };
}

/** Copies a child's generated text and step progress into this job's stream, labelled with the step. */
async function relayEvent(
  ctx: JobContext,
  step: string,
  agent: CapabilityAgent,
  ev: JobEvent,
): Promise<void> {
  if (ev.type === 'token') {
    if (typeof ev.data.text === 'string') await ctx.token(ev.data.text, { step });
  } else if (ev.type === 'step.started' || ev.type === 'step.completed') {
    await ctx.emit(ev.type, { step, agent, job_id: ev.job_id, child: ev.data });
  }
}

/** The error of a child job that ended without success: its deadline, or a failed dependency. */
export function childFailure(rec: JobRecord): AgentError {
  const details = { job_id: rec.job_id, ...(rec.error ? { child_error: rec.error } : {}) };
  const why = rec.error ? `${rec.error.code}: ${rec.error.detail ?? rec.error.title}` : 'no error recorded';
  if (rec.status === 'expired') {
    return new AgentError('deadline_exceeded', { detail: `${rec.agent} job ${rec.job_id} expired`, details });
  }
  return new AgentError('dependency_failed', {
    detail: `${rec.agent} job ${rec.job_id} ${rec.status} (${why})`,
    // A cancelled child was stopped on purpose; a failed one says itself whether a retry may help.
    retryable: rec.error?.retryable ?? rec.status !== 'cancelled',
    details,
  });
}

/** Maps what a call threw to the step's error, with the child job id when one was created. */
export function callFailure(err: unknown, jobId: string | undefined): AgentError {
  if (!isAgentError(err)) return toAgentError(err);
  const withJob =
    jobId === undefined || err.details?.job_id !== undefined
      ? err.details
      : { ...err.details, job_id: jobId };
  if (KEPT_CODES.has(err.code)) {
    return withJob === err.details
      ? err
      : new AgentError(err.code, {
          detail: err.message,
          retryable: err.retryable,
          details: withJob,
          cause: err,
        });
  }
  // A 4xx/5xx problem from the child's API (e.g. invalid_input): the dependency failed this call.
  return new AgentError('dependency_failed', {
    detail: err.message,
    retryable: err.retryable,
    details: { ...withJob, child_code: err.code },
    cause: err,
  });
}

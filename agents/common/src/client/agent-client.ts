import { AgentError, ERROR_CODES, isAgentError, type ErrorCode } from '../contract/errors.js';
import {
  AgentDescriptor,
  JobRecord,
  Problem,
  TERMINAL_EVENT_TYPES,
  isTerminal,
  type JobAccepted,
  type JobEvent,
} from '../contract/schemas.js';
import type { Logger } from '../ports/logger.js';
import { noopLogger } from '../ports/logger.js';
import type { CheckResult, DependencyCheck } from '../ports/readiness.js';
import { readJobEvents } from './sse-reader.js';
import { sleep } from '../util/sleep.js';

/** Where an agent is: a fixed base URL, or a resolver asked before every request. */
export type BaseUrl = string | (() => string | Promise<string>);

/** Options of {@link AgentClient}. */
export interface AgentClientOptions {
  /**
   * e.g. `http://127.0.0.1:11002`, or a resolver evaluated per request (e.g. a live replica from
   * the registry). A resolver that throws a retryable error is retried like an unreachable agent.
   */
  baseUrl: BaseUrl;
  /** Agent name (readiness check is named `agent:<name>`). */
  name: string;
  fetch?: typeof fetch;
  log?: Logger;
}

/** Per-call context: who asks, under which trace, until when. */
export interface CallContext {
  tenantId: string;
  /** Epoch ms; the call gives up (and the job expires) then. */
  deadlineAt: number;
  traceparent?: string;
  signal?: AbortSignal;
}

/** A job to submit to another agent. */
export interface SubmitRequest extends CallContext {
  kind: string;
  input: Record<string, unknown>;
  /** Mandatory between services: derived from the parent job id and step. */
  idempotencyKey: string;
  parentJobId?: string;
  maxAttempts?: number;
}

/** Options of {@link AgentClient.run}. */
export interface RunOptions {
  /**
   * Every event of the child job, in order, each once (also across reconnects). Without it the job
   * is followed by long-polling its record, one exchange instead of an event stream plus a read.
   */
  onEvent?: (event: JobEvent) => void | Promise<void>;
  /** Called once the agent accepted the job, with its id. */
  onAccepted?: (jobId: string) => void | Promise<void>;
}

/** Longest single long-poll of a job record, in seconds. */
const LONG_POLL_S = 30;

/**
 * Client of an agent's job API, used between services: submits with an idempotency key and the
 * remaining deadline, follows the job's event stream (resuming with `Last-Event-ID` when the
 * connection drops) and returns the terminal record. Transient refusals (503/429/409) and
 * connection failures are retried until the deadline.
 */
export class AgentClient {
  private readonly fetch: typeof fetch;
  private readonly log: Logger;
  private readonly resolve: () => string | Promise<string>;
  /** The fixed base URL; undefined when it is resolved per request. */
  readonly baseUrl: string | undefined;
  readonly name: string;

  constructor(opts: AgentClientOptions) {
    const fixed = typeof opts.baseUrl === 'string' ? opts.baseUrl.replace(/\/+$/, '') : undefined;
    this.baseUrl = fixed;
    this.resolve = fixed === undefined ? (opts.baseUrl as () => string | Promise<string>) : () => fixed;
    this.name = opts.name;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.log = opts.log ?? noopLogger;
  }

  /** Submits a job; retries refusals that say "later" until the deadline. */
  async submit(req: SubmitRequest): Promise<JobAccepted> {
    const body = JSON.stringify({
      kind: req.kind,
      input: req.input,
      deadline_at: new Date(req.deadlineAt).toISOString(),
      ...(req.parentJobId ? { parent_job_id: req.parentJobId } : {}),
      ...(req.maxAttempts ? { max_attempts: req.maxAttempts } : {}),
    });
    return this.withRetry(req, async (signal) => {
      const res = await this.fetch(`${await this.url()}/v1/jobs`, {
        method: 'POST',
        headers: {
          ...this.headers(req),
          'content-type': 'application/json',
          'idempotency-key': JSON.stringify(req.idempotencyKey),
        },
        body,
        signal,
      });
      if (res.status === 202 || res.status === 200) {
        const json = (await res.json()) as JobAccepted | JobRecord;
        return {
          schema: json.schema,
          job_id: json.job_id,
          status: json.status,
          location: `/v1/jobs/${json.job_id}`,
          events: `/v1/jobs/${json.job_id}/events`,
        };
      }
      throw await this.problemError(res);
    });
  }

  /** The job record. */
  async get(jobId: string, ctx: CallContext): Promise<JobRecord> {
    return this.withRetry(ctx, async (signal) => {
      const res = await this.fetch(`${await this.url()}/v1/jobs/${encodeURIComponent(jobId)}`, {
        headers: this.headers(ctx),
        signal,
      });
      if (!res.ok) throw await this.problemError(res);
      return JobRecord.parse(await res.json());
    });
  }

  /** Asks the agent to cancel a job; a job that already ended is not an error. */
  async cancel(jobId: string, ctx: Omit<CallContext, 'deadlineAt'>): Promise<void> {
    const res = await this.fetch(`${await this.url()}/v1/jobs/${encodeURIComponent(jobId)}/cancel`, {
      method: 'POST',
      headers: this.headers(ctx),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok && res.status !== 409) throw await this.problemError(res);
  }

  /**
   * Streams a job's events after `afterId` until its terminal event, reconnecting with
   * `Last-Event-ID` when the stream breaks.
   */
  async *events(jobId: string, ctx: CallContext, afterId = 0): AsyncGenerator<JobEvent> {
    let last = afterId;
    for (;;) {
      let ended = false;
      try {
        const res = await this.withRetry(
          ctx,
          async (signal) => {
            const r = await this.fetch(`${await this.url()}/v1/jobs/${encodeURIComponent(jobId)}/events`, {
              headers: { ...this.headers(ctx), accept: 'text/event-stream', 'last-event-id': String(last) },
              signal,
            });
            if (!r.ok || !r.body) throw await this.problemError(r);
            return r;
          },
          true,
        );
        for await (const ev of readJobEvents(res.body as ReadableStream<Uint8Array>)) {
          if (ev.id <= last) continue;
          last = ev.id;
          yield ev;
          if (TERMINAL_EVENT_TYPES.has(ev.type)) {
            ended = true;
            break;
          }
        }
      } catch (err) {
        if (isAgentError(err) && !err.retryable) throw err;
        this.checkTime(ctx, err);
        this.log.warn(
          { agent_called: this.name, job_id: jobId, err: String(err) },
          'event stream broke; resuming',
        );
      }
      if (ended) return;
      // The stream closed without a terminal event: the job may have ended while we reconnected.
      this.checkTime(ctx);
      const rec = await this.get(jobId, ctx).catch(() => undefined);
      if (rec && isTerminal(rec.status)) {
        const tail = await this.tail(jobId, ctx, last);
        for (const ev of tail) yield ev;
        return;
      }
      await sleep(100, ctx.signal);
    }
  }

  /** Submits and follows a job to its end; resolves to the terminal record. */
  async run(req: SubmitRequest, opts: RunOptions = {}): Promise<JobRecord> {
    const accepted = await this.submit(req);
    await opts.onAccepted?.(accepted.job_id);
    try {
      if (!opts.onEvent) return await this.awaitRecord(accepted.job_id, req);
      for await (const ev of this.events(accepted.job_id, req)) await opts.onEvent(ev);
    } catch (err) {
      if (req.signal?.aborted) await this.cancel(accepted.job_id, req).catch(() => undefined);
      throw err;
    }
    return this.get(accepted.job_id, req);
  }

  /** Long-polls a job's record (`Prefer: wait`) until it is terminal. */
  private async awaitRecord(jobId: string, ctx: CallContext): Promise<JobRecord> {
    for (;;) {
      const rec = await this.withRetry(ctx, async (signal) => {
        const waitS = Math.max(1, Math.min(LONG_POLL_S, Math.ceil((ctx.deadlineAt - Date.now()) / 1000)));
        const res = await this.fetch(`${await this.url()}/v1/jobs/${encodeURIComponent(jobId)}`, {
          headers: { ...this.headers(ctx), prefer: `wait=${waitS}` },
          signal,
        });
        if (!res.ok) throw await this.problemError(res);
        return JobRecord.parse(await res.json());
      });
      if (isTerminal(rec.status)) return rec;
    }
  }

  /** The agent's descriptor. */
  async descriptor(signal?: AbortSignal): Promise<AgentDescriptor> {
    const res = await this.fetch(`${await this.url()}/v1/agent`, {
      signal: signal ?? AbortSignal.timeout(5000),
    });
    if (!res.ok) throw await this.problemError(res);
    return AgentDescriptor.parse(await res.json());
  }

  /** `/ready` of the agent as a dependency check named `agent:<name>`. */
  readiness(): DependencyCheck {
    return {
      name: `agent:${this.name}`,
      check: async (signal): Promise<CheckResult> => {
        try {
          const res = await this.fetch(`${await this.url()}/ready`, { signal });
          if (res.ok) return { ok: true };
          const body = (await res.json().catch(() => ({}))) as { detail?: string };
          return { ok: false, detail: body.detail ?? `HTTP ${res.status}` };
        } catch (err) {
          return { ok: false, detail: `unreachable: ${err instanceof Error ? err.message : String(err)}` };
        }
      },
    };
  }

  /** The base URL for the next request (asks the resolver when there is one). */
  async url(): Promise<string> {
    const url = await this.resolve();
    return url.replace(/\/+$/, '');
  }

  private async tail(jobId: string, ctx: CallContext, after: number): Promise<JobEvent[]> {
    const out: JobEvent[] = [];
    // Retried like any read: with a resolver, the replica asked may be another than the last one.
    const res = await this.withRetry(ctx, async (signal) =>
      this.fetch(`${await this.url()}/v1/jobs/${encodeURIComponent(jobId)}/events`, {
        headers: { ...this.headers(ctx), 'last-event-id': String(after) },
        signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
      }),
    );
    if (res.ok && res.body) for await (const ev of readJobEvents(res.body)) out.push(ev);
    return out;
  }

  private headers(ctx: Omit<CallContext, 'deadlineAt'>): Record<string, string> {
    return { 'x-tenant-id': ctx.tenantId, ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}) };
  }

  private checkTime(ctx: CallContext, cause?: unknown): void {
    if (ctx.signal?.aborted) throw ctx.signal.reason as Error;
    if (Date.now() >= ctx.deadlineAt)
      throw new AgentError('deadline_exceeded', { detail: `calling ${this.name}`, cause });
  }

  /** Runs `fn`, retrying retryable failures (refusals and unreachable agent) with backoff until the deadline. */
  private async withRetry<T>(
    ctx: CallContext,
    fn: (signal: AbortSignal) => Promise<T>,
    streaming = false,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.checkTime(ctx);
      const timeout = AbortSignal.timeout(Math.max(1, ctx.deadlineAt - Date.now()));
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
      try {
        return await fn(signal);
      } catch (err) {
        if (ctx.signal?.aborted) throw ctx.signal.reason as Error;
        const agentErr = isAgentError(err)
          ? err
          : new AgentError('dependency_unavailable', {
              detail: `${this.name} unreachable: ${err instanceof Error ? err.message : String(err)}`,
              cause: err,
            });
        if (!agentErr.retryable || streaming) throw agentErr;
        this.checkTime(ctx, agentErr);
        const wait =
          agentErr.retryAfterS !== undefined
            ? agentErr.retryAfterS * 1000
            : Math.min(2000, 50 * 2 ** attempt);
        await sleep(Math.min(wait, Math.max(0, ctx.deadlineAt - Date.now())), ctx.signal);
      }
    }
  }

  private async problemError(res: Response): Promise<AgentError> {
    const text = await res.text().catch(() => '');
    let problem: Problem | undefined;
    try {
      const parsed = Problem.safeParse(JSON.parse(text));
      if (parsed.success) problem = parsed.data;
    } catch {
      // not JSON
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    // The deadline we sent passed on the way: that is our deadline expiring, not a bad request.
    const code =
      problem?.code === 'deadline_invalid'
        ? 'deadline_exceeded'
        : problem?.code && isKnownCode(problem.code)
          ? problem.code
          : res.status >= 500
            ? 'dependency_failed'
            : 'bad_request';
    const retryable =
      problem?.retryable ??
      (res.status === 503 || res.status === 429 || res.status === 409 || res.status >= 500);
    return new AgentError(code, {
      detail: `${this.name}: ${problem?.detail ?? problem?.title ?? `HTTP ${res.status}`}`,
      retryable,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterS: retryAfter } : {}),
      details: { agent: this.name, status: res.status, ...(problem ? { code: problem.code } : {}) },
    });
  }
}

function isKnownCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

import { setTimeout as sleep } from 'node:timers/promises';
import { AgentError, isAgentError } from '../../contract/errors.js';
import { abortError, errorBodyMessage, isBusyStatus, networkError, statusError } from './ollama-errors.js';

/** Retry of "server busy" answers: capped exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Settings of {@link OllamaHttp}. */
export interface OllamaHttpOptions {
  baseUrl: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  /** Longest silence tolerated from the server: before the answer starts, or between stream chunks. */
  idleTimeoutMs: number;
}

/** Per-call context: the caller's signal, whether busy answers are retried, and fields for error details. */
export interface CallContext {
  signal?: AbortSignal | undefined;
  retry: boolean;
  details: Record<string, unknown>;
}

/** Delay before retry `n` (1 = first retry): uniform in [0, min(max, base·2ⁿ⁻¹)] ("full jitter"). */
export function fullJitterDelay(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1)));
}

/**
 * One HTTP attempt's abort wiring: fires on the caller's signal, or when the server stays silent for
 * the idle timeout. Streaming readers call `touch()` on every chunk so long generations are fine as
 * long as tokens keep coming.
 */
export class CallGuard {
  readonly signal: AbortSignal;
  private readonly idle = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    caller: AbortSignal | undefined,
    readonly idleTimeoutMs: number,
  ) {
    this.signal = caller ? AbortSignal.any([caller, this.idle.signal]) : this.idle.signal;
    this.touch();
  }

  /** True when the idle timeout (not the caller) ended the attempt. */
  get timedOut(): boolean {
    return this.idle.signal.aborted;
  }

  /** Restarts the idle timer. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.idle.abort(new Error('idle timeout')), this.idleTimeoutMs);
    this.timer.unref();
  }

  /** Stops the timer; call when the attempt is over. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** A 2xx response and the guard to touch while reading it and dispose afterwards. */
export interface OpenedResponse {
  response: Response;
  guard: CallGuard;
}

/** Ollama's HTTP transport: JSON requests, error mapping, and retry of busy answers. */
export class OllamaHttp {
  constructor(private readonly opts: OllamaHttpOptions) {}

  /** The server's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  /**
   * Sends a request and returns once a 2xx answer's headers arrived. 503/429 answers are retried
   * (only here, so never after a token was delivered); other failures become AgentErrors.
   */
  async open(method: 'GET' | 'POST', path: string, body: unknown, ctx: CallContext): Promise<OpenedResponse> {
    const attempts = ctx.retry ? Math.max(1, this.opts.retry.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      if (ctx.signal?.aborted) throw abortError(ctx.signal.reason);
      const guard = new CallGuard(ctx.signal, this.opts.idleTimeoutMs);
      let response: Response;
      let text: string;
      try {
        response = await this.opts.fetch(this.opts.baseUrl + path, {
          method,
          signal: guard.signal,
          ...(body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        });
        if (response.ok) return { response, guard };
        text = await response.text();
      } catch (err) {
        guard.dispose();
        throw this.failure(err, guard, ctx, `cannot reach Ollama at ${this.opts.baseUrl}`);
      }
      guard.dispose();
      const error = statusError(response.status, errorBodyMessage(text), {
        ...ctx.details,
        attempts: attempt,
      });
      if (!isBusyStatus(response.status) || attempt >= attempts) throw error;
      try {
        await sleep(fullJitterDelay(this.opts.retry, attempt), undefined, { signal: ctx.signal });
      } catch {
        throw abortError(ctx.signal?.reason);
      }
    }
  }

  /** Sends a request and parses its single JSON answer. */
  async json(method: 'GET' | 'POST', path: string, body: unknown, ctx: CallContext): Promise<unknown> {
    const { response, guard } = await this.open(method, path, body, ctx);
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw this.failure(err, guard, ctx, 'connection to Ollama lost while reading the answer');
    } finally {
      guard.dispose();
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new AgentError('model_error', {
        detail: `Ollama answered ${path} with a body that is not JSON`,
        details: ctx.details,
        cause: err,
      });
    }
  }

  /**
   * Classifies an error thrown while talking to the server: the caller's abort wins, then the idle
   * timeout, then AgentErrors as they are, then network failures. Anything else (a bug, or an error
   * thrown by a caller's callback) passes through untouched.
   */
  failure(err: unknown, guard: CallGuard, ctx: CallContext, what: string): unknown {
    if (ctx.signal?.aborted) return abortError(ctx.signal.reason);
    if (guard.timedOut) {
      return new AgentError('model_unavailable', {
        detail: `Ollama sent nothing for ${guard.idleTimeoutMs} ms`,
        details: ctx.details,
        cause: err,
      });
    }
    if (isAgentError(err)) return err;
    if (err instanceof TypeError || (err instanceof Error && err.name === 'SocketError')) {
      return networkError(err, what, ctx.details);
    }
    return err;
  }
}

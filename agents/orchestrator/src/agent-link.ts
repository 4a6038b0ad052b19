import { AgentClient, AgentError, type AgentClientOptions, type Logger } from '@sutazai/agent-kit';

/** Options of {@link AgentLink}. */
export interface AgentLinkOptions {
  /** Agent name; the readiness check is `agent:<name>`. */
  name: string;
  /** The agent's URL, or a resolver asked per request (a live replica from the registry). */
  baseUrl: AgentClientOptions['baseUrl'];
  /** How long the agent may refuse connections before the calls in flight to it fail. */
  unreachableMs: number;
  log?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}

/** One call's view of the link: a signal to pass to the client, released when the call ends. */
export interface CallGuard {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * A capability agent as the orchestrator reaches it: the kit's {@link AgentClient}, over a fetch
 * that notices when the agent stops answering. The client alone retries an unreachable agent until
 * the deadline; a call made under {@link AgentLink.guard} fails sooner, with a retryable
 * `dependency_unavailable`, once the agent has refused connections for `unreachableMs` — so a
 * killed agent fails the step instead of holding the job until its deadline.
 */
export class AgentLink {
  readonly client: AgentClient;
  readonly name: string;
  private readonly unreachableMs: number;
  private readonly now: () => number;
  private readonly guards = new Set<AbortController>();
  private downSince: number | undefined;
  private lastError = '';
  private downTimer: NodeJS.Timeout | undefined;

  constructor(opts: AgentLinkOptions) {
    this.name = opts.name;
    this.unreachableMs = opts.unreachableMs;
    this.now = opts.now ?? Date.now;
    const base = opts.fetch ?? globalThis.fetch;
    this.client = new AgentClient({
      name: opts.name,
      baseUrl: opts.baseUrl,
      fetch: (input, init) => this.observe(base, input, init),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }

  /** A signal for one call: aborts with `parent`, or with `dependency_unavailable` when the agent stays unreachable. */
  guard(parent: AbortSignal): CallGuard {
    const own = new AbortController();
    this.guards.add(own);
    return { signal: AbortSignal.any([parent, own.signal]), release: () => this.guards.delete(own) };
  }

  /** Stops the timer; calls in flight keep their parent's signal. */
  close(): void {
    clearTimeout(this.downTimer);
    this.guards.clear();
  }

  private async observe(
    base: typeof fetch,
    input: Parameters<typeof fetch>[0],
    init?: RequestInit,
  ): Promise<Response> {
    try {
      const res = await base(input, init);
      this.reachable();
      return res;
    } catch (err) {
      // A request aborted by its caller says nothing about the agent.
      if (!init?.signal?.aborted) this.unreachable(err);
      throw err;
    }
  }

  private reachable(): void {
    this.downSince = undefined;
    clearTimeout(this.downTimer);
    this.downTimer = undefined;
  }

  private unreachable(err: unknown): void {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    this.lastError = cause instanceof Error ? cause.message : String(cause);
    const now = this.now();
    if (this.downSince === undefined) {
      this.downSince = now;
      this.downTimer = setTimeout(() => this.failGuards(), this.unreachableMs);
      this.downTimer.unref();
    } else if (now - this.downSince >= this.unreachableMs) {
      this.failGuards();
    }
  }

  private failGuards(): void {
    if (this.downSince === undefined || this.guards.size === 0) return;
    const err = new AgentError('dependency_unavailable', {
      detail: `${this.name} unreachable for ${this.now() - this.downSince} ms (${this.lastError})`,
      details: { agent: this.name },
    });
    for (const g of this.guards) g.abort(err);
    this.guards.clear();
  }
}

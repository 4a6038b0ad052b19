import {
  AgentClient,
  AgentDescriptor,
  AgentError,
  ReplicaPool,
  createStaticAgentRegistry,
  isConnectionRefused,
  noopLogger,
  type AgentRegistry as ReplicaRegistry,
  type DependencyCheck,
  type Logger,
  type Replica,
} from '@sutazai/agent-kit';
import { callAgent, describeFetchError, type UpstreamAnswer, type UpstreamCall } from './upstream.js';

/** Liveness of an agent as `/health` answered it. */
export interface AgentHealth {
  status: 'ok' | 'down';
  version?: string;
  uptime_s?: number;
  detail?: string;
}

/** Readiness of an agent as `/ready` answered it, with the dependencies it named as failing. */
export interface AgentReadiness {
  status: 'ready' | 'not_ready' | 'unreachable';
  failing: string[];
  detail?: string;
}

/** One replica of an agent as `GET /v1/agents` shows it. */
export interface ReplicaStatus {
  replica_id: string;
  url: string;
  /** `announced` (heartbeats in the shared registry) or `configured` (`AGENT_URL_<NAME>`). */
  source: Replica['source'];
  version?: string;
  started_at?: string;
  capability?: string;
  health: AgentHealth;
  ready: AgentReadiness;
}

/** One agent as `GET /v1/agents` shows it: a summary over its replicas, and each replica. */
export interface AgentStatus {
  name: string;
  /** The configured URL, or the first live replica's; absent when no replica is live. */
  url?: string;
  /** `ok` when any replica is. */
  health: AgentHealth;
  /** `ready` when any replica is. */
  ready: AgentReadiness;
  /** `GET /v1/agent` of one replica; null when it could not be fetched. */
  descriptor: AgentDescriptor | null;
  descriptor_error?: string;
  replicas: ReplicaStatus[];
}

/** The body of `GET /v1/agents`. */
export interface AgentsReport {
  checked_at: string;
  /** Where replicas come from: `static` (configured URLs) or `redis` (heartbeats with a TTL). */
  registry: { source: string; ttl_ms: number; error?: string };
  agents: AgentStatus[];
}

/** Options of {@link AgentRegistry}. */
export interface AgentRegistryOptions {
  /** Agent name → base URL: where agents are without a shared registry; listed names with one. */
  agents: Readonly<Record<string, string>>;
  /** The shared registry of live replicas (Redis); without it each agent is at its URL in `agents`. */
  replicas?: ReplicaRegistry;
  probeTimeoutMs: number;
  /** How long a probe round is reused (≤ 2 s keeps `/v1/agents` live). */
  cacheMs: number;
  /** How long a descriptor is trusted for choosing a default kind. */
  descriptorTtlMs?: number;
  /** How long a routing list of live replicas is reused. Default 1 s. */
  refreshMs?: number;
  /** How long a replica that refused a connection is passed over. Default 5 s. */
  refusedForMs?: number;
  fetch?: typeof fetch;
  log?: Logger;
  now?: () => number;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The agents the mesh routes to. Each call goes to a live replica of its agent — round robin,
 * passing over replicas that refused a connection lately — from the shared registry when there is
 * one (an agent it lists counts as known even when not configured), else from the configured URLs.
 * Keeps a kit {@link AgentClient} per agent, their descriptors (for the default kind) and a
 * short-lived cache of their live status.
 */
export class AgentRegistry {
  private readonly clients = new Map<string, AgentClient>();
  private readonly descriptors = new Map<string, { at: number; value: Promise<AgentDescriptor> }>();
  private readonly configured: ReadonlySet<string>;
  private readonly discovered = new Set<string>();
  private readonly source: ReplicaRegistry;
  private readonly pool: ReplicaPool;
  private report: { at: number; value: Promise<AgentsReport> } | undefined;
  private everyAgent: { at: number; value: Promise<void> } | undefined;
  /** Fetch for calls to agents: notes refused connections so the next call goes elsewhere. */
  readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: AgentRegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? noopLogger;
    this.configured = new Set(Object.keys(opts.agents));
    this.source = opts.replicas ?? createStaticAgentRegistry(opts.agents);
    this.pool = new ReplicaPool({
      registry: this.source,
      now: this.now,
      log: this.log,
      ...(opts.refreshMs === undefined ? {} : { refreshMs: opts.refreshMs }),
      ...(opts.refusedForMs === undefined ? {} : { refusedForMs: opts.refusedForMs }),
    });
    this.fetch = this.pool.observe(opts.fetch ?? globalThis.fetch);
  }

  /** True when replicas come from a shared registry rather than configured URLs. */
  get shared(): boolean {
    return this.opts.replicas !== undefined;
  }

  /** Names of the known agents (configured, and any the shared registry listed), sorted. */
  names(): string[] {
    return [...new Set([...this.configured, ...this.discovered])].sort(byName);
  }

  /** True when the mesh routes to an agent of this name (as far as it knows without asking). */
  has(name: string): boolean {
    return this.configured.has(name) || this.discovered.has(name);
  }

  /**
   * Like {@link has}, but reads the shared registry's agent names when the name was not seen yet —
   * one read of every agent at most per refresh, whatever names requests make up.
   */
  async knows(name: string): Promise<boolean> {
    if (this.has(name) || !this.shared) return this.has(name);
    const now = this.now();
    if (!this.everyAgent || now - this.everyAgent.at >= (this.opts.refreshMs ?? 1_000)) {
      const value = this.source.live().then(
        (all) => {
          for (const r of all) this.discovered.add(r.agent);
        },
        () => undefined,
      );
      this.everyAgent = { at: now, value };
    }
    await this.everyAgent.value;
    return this.has(name);
  }

  /** The client of an agent (its base URL resolved per request); an unknown name is `not_found`. */
  client(name: string): AgentClient {
    if (!this.has(name)) {
      throw new AgentError('not_found', {
        detail: `no agent named ${JSON.stringify(name)}; known: ${this.names().join(', ')}`,
        details: { agent: name, agents: this.names() },
      });
    }
    let client = this.clients.get(name);
    if (!client) {
      client = new AgentClient({ baseUrl: this.pool.resolver(name), name, fetch: this.fetch, log: this.log });
      this.clients.set(name, client);
    }
    return client;
  }

  /**
   * One proxied call to a live replica of `agent`. A replica that refused the connection never got
   * the request, so the call moves on to the next live replica (each tried once).
   */
  async call(agent: string, call: UpstreamCall): Promise<UpstreamAnswer> {
    const tried = new Set<string>();
    let lastErr: unknown;
    for (;;) {
      const url = await this.pool.next(agent);
      if (tried.has(url)) throw lastErr;
      tried.add(url);
      try {
        return await callAgent(this.fetch, agent, url, call);
      } catch (err) {
        if (!(err instanceof AgentError) || !isConnectionRefused(err.cause)) throw err;
        lastErr = err;
      }
    }
  }

  /** Readiness of an agent as a dependency check named `agent:<name>`: ready when any live replica is. */
  readiness(name: string): DependencyCheck {
    return {
      name: `agent:${name}`,
      check: async (signal) => {
        let replicas: Replica[];
        try {
          replicas = await this.pool.replicas(name);
        } catch (err) {
          return {
            ok: false,
            detail: `the ${this.source.name} registry is unavailable: ${describeFetchError(err)}`,
          };
        }
        if (replicas.length === 0) return { ok: false, detail: `no live replica of ${name}` };
        let first: { ok: boolean; detail?: string } | undefined;
        for (const r of replicas) {
          const ready = await this.readinessOf(r.url, signal);
          if (ready.status === 'ready') return { ok: true };
          first ??= {
            ok: false,
            detail:
              ready.status === 'unreachable' ? `unreachable: ${ready.detail ?? ''}` : (ready.detail ?? ''),
          };
        }
        return first ?? { ok: false, detail: `no live replica of ${name}` };
      },
    };
  }

  /** The first kind the agent's descriptor lists (the kind a request naming none gets). */
  async defaultKind(name: string, timeoutMs: number): Promise<string> {
    const descriptor = await this.descriptor(name, timeoutMs);
    const first = descriptor.kinds[0];
    if (!first) throw new AgentError('dependency_failed', { detail: `${name} lists no job kinds` });
    return first.kind;
  }

  /** Every agent's replicas with their health and readiness, probed in parallel; reused for `cacheMs`. */
  statuses(): Promise<AgentsReport> {
    const now = this.now();
    if (this.report && now - this.report.at < this.opts.cacheMs) return this.report.value;
    const value = this.probeAll(now);
    this.report = { at: now, value };
    return value;
  }

  private async probeAll(now: number): Promise<AgentsReport> {
    let error: string | undefined;
    const replicas = await this.source.live().catch((err: unknown) => {
      error = describeFetchError(err);
      return [] as Replica[];
    });
    const byAgent = new Map<string, Replica[]>();
    for (const r of replicas) {
      if (this.shared) this.discovered.add(r.agent);
      byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
    }
    const agents = await Promise.all(this.names().map((n) => this.probe(n, byAgent.get(n) ?? [], error)));
    return {
      checked_at: new Date(now).toISOString(),
      registry: { source: this.source.name, ttl_ms: this.source.ttlMs, ...(error ? { error } : {}) },
      agents,
    };
  }

  private descriptor(name: string, timeoutMs: number): Promise<AgentDescriptor> {
    const client = this.client(name);
    const cached = this.descriptors.get(name);
    const ttl = this.opts.descriptorTtlMs ?? 30_000;
    if (cached && this.now() - cached.at < ttl) return cached.value;
    return this.remember(name, client.descriptor(AbortSignal.timeout(timeoutMs)));
  }

  /** Caches a descriptor being fetched; a failure is not cached and reads as the agent unreachable. */
  private remember(name: string, fetching: Promise<AgentDescriptor>): Promise<AgentDescriptor> {
    const value = fetching.catch((err: unknown) => {
      if (this.descriptors.get(name)?.value === value) this.descriptors.delete(name);
      throw err instanceof AgentError
        ? err
        : new AgentError('dependency_unavailable', {
            detail: `${name} unreachable: ${describeFetchError(err)}`,
            details: { agent: name },
          });
    });
    this.descriptors.set(name, { at: this.now(), value });
    return value;
  }

  private async probe(name: string, replicas: Replica[], registryError?: string): Promise<AgentStatus> {
    const statuses = await Promise.all(
      replicas.map(async (r): Promise<ReplicaStatus> => {
        const [health, ready] = await Promise.all([this.health(r.url), this.readinessOf(r.url)]);
        return {
          replica_id: r.replica_id,
          url: r.url,
          source: r.source,
          ...(r.version === undefined ? {} : { version: r.version }),
          ...(r.started_at === undefined ? {} : { started_at: r.started_at }),
          ...(r.capability === undefined ? {} : { capability: r.capability }),
          health,
          ready,
        };
      }),
    );
    const none = registryError
      ? `the ${this.source.name} registry is unavailable: ${registryError}`
      : `no live replica of ${name} in the ${this.source.name} registry`;
    const up = statuses.find((s) => s.health.status === 'ok') ?? statuses[0];
    const ready = statuses.find((s) => s.ready.status === 'ready') ?? statuses[0];
    const descriptor = up
      ? await this.remember(name, this.descriptorAt(up.url)).then(
          (d) => ({ descriptor: d }),
          (err: unknown) => ({ descriptor: null, descriptor_error: describeFetchError(err) }),
        )
      : { descriptor: null, descriptor_error: none };
    return {
      name,
      ...(up ? { url: up.url } : {}),
      health: up?.health ?? { status: 'down', detail: none },
      ready: ready?.ready ?? { status: 'unreachable', failing: [], detail: none },
      ...descriptor,
      replicas: statuses,
    };
  }

  private async descriptorAt(url: string): Promise<AgentDescriptor> {
    const res = await this.fetch(`${url}/v1/agent`, {
      signal: AbortSignal.timeout(this.opts.probeTimeoutMs),
    });
    if (!res.ok) {
      throw new AgentError('dependency_failed', {
        detail: `GET ${url}/v1/agent answered HTTP ${res.status}`,
      });
    }
    return AgentDescriptor.parse(await res.json());
  }

  private async health(url: string): Promise<AgentHealth> {
    try {
      const res = await this.fetch(`${url}/health`, {
        signal: AbortSignal.timeout(this.opts.probeTimeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as { version?: unknown; uptime_s?: unknown };
      if (!res.ok) return { status: 'down', detail: `HTTP ${res.status}` };
      return {
        status: 'ok',
        ...(typeof body.version === 'string' ? { version: body.version } : {}),
        ...(typeof body.uptime_s === 'number' ? { uptime_s: body.uptime_s } : {}),
      };
    } catch (err) {
      return { status: 'down', detail: `unreachable: ${describeFetchError(err)}` };
    }
  }

  private async readinessOf(url: string, signal?: AbortSignal): Promise<AgentReadiness> {
    try {
      const timeout = AbortSignal.timeout(this.opts.probeTimeoutMs);
      const res = await this.fetch(`${url}/ready`, {
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const body = (await res.json().catch(() => ({}))) as {
        detail?: unknown;
        details?: { failing?: unknown };
      };
      if (res.ok) return { status: 'ready', failing: [] };
      const failing = Array.isArray(body.details?.failing)
        ? body.details.failing.filter((f): f is string => typeof f === 'string')
        : [];
      return {
        status: 'not_ready',
        failing,
        detail: typeof body.detail === 'string' ? body.detail : `HTTP ${res.status}`,
      };
    } catch (err) {
      return { status: 'unreachable', failing: [], detail: describeFetchError(err) };
    }
  }
}

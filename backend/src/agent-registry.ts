import { AgentClient, AgentError, noopLogger, type AgentDescriptor, type Logger } from '@sutazai/agent-kit';
import { describeFetchError } from './upstream.js';

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

/** One agent as `GET /v1/agents` shows it. */
export interface AgentStatus {
  name: string;
  url: string;
  health: AgentHealth;
  ready: AgentReadiness;
  /** `GET /v1/agent` of the agent; null when it could not be fetched. */
  descriptor: AgentDescriptor | null;
  descriptor_error?: string;
}

/** The body of `GET /v1/agents`. */
export interface AgentsReport {
  checked_at: string;
  agents: AgentStatus[];
}

/** Options of {@link AgentRegistry}. */
export interface AgentRegistryOptions {
  /** Agent name → base URL. */
  agents: Readonly<Record<string, string>>;
  probeTimeoutMs: number;
  /** How long a probe round is reused (≤ 2 s keeps `/v1/agents` live). */
  cacheMs: number;
  /** How long a descriptor is trusted for choosing a default kind. */
  descriptorTtlMs?: number;
  fetch?: typeof fetch;
  log?: Logger;
  now?: () => number;
}

/**
 * The agents the mesh routes to: a kit {@link AgentClient} per agent, their descriptors (for the
 * default kind) and a short-lived cache of their live status.
 */
export class AgentRegistry {
  private readonly clients = new Map<string, AgentClient>();
  private readonly descriptors = new Map<string, { at: number; value: Promise<AgentDescriptor> }>();
  private report: { at: number; value: Promise<AgentsReport> } | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly opts: AgentRegistryOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
    for (const [name, baseUrl] of Object.entries(opts.agents)) {
      this.clients.set(
        name,
        new AgentClient({ baseUrl, name, fetch: this.fetch, log: opts.log ?? noopLogger }),
      );
    }
  }

  /** Names of the known agents, sorted. */
  names(): string[] {
    return [...this.clients.keys()].sort();
  }

  /** True when the mesh routes to an agent of this name. */
  has(name: string): boolean {
    return this.clients.has(name);
  }

  /** The client of an agent; an unknown name is `not_found`. */
  client(name: string): AgentClient {
    const client = this.clients.get(name);
    if (!client) {
      throw new AgentError('not_found', {
        detail: `no agent named ${JSON.stringify(name)}; known: ${this.names().join(', ')}`,
        details: { agent: name, agents: this.names() },
      });
    }
    return client;
  }

  /** The first kind the agent's descriptor lists (the kind a request naming none gets). */
  async defaultKind(name: string, timeoutMs: number): Promise<string> {
    const descriptor = await this.descriptor(name, timeoutMs);
    const first = descriptor.kinds[0];
    if (!first) throw new AgentError('dependency_failed', { detail: `${name} lists no job kinds` });
    return first.kind;
  }

  /** Every agent's health, readiness and descriptor, probed in parallel; reused for `cacheMs`. */
  statuses(): Promise<AgentsReport> {
    const now = this.now();
    if (this.report && now - this.report.at < this.opts.cacheMs) return this.report.value;
    const value = Promise.all(this.names().map((n) => this.probe(n))).then((agents) => ({
      checked_at: new Date(now).toISOString(),
      agents,
    }));
    this.report = { at: now, value };
    return value;
  }

  private descriptor(name: string, timeoutMs: number, fresh = false): Promise<AgentDescriptor> {
    const client = this.client(name);
    const cached = this.descriptors.get(name);
    const ttl = this.opts.descriptorTtlMs ?? 30_000;
    if (!fresh && cached && this.now() - cached.at < ttl) return cached.value;
    const value = client.descriptor(AbortSignal.timeout(timeoutMs)).catch((err: unknown) => {
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

  private async probe(name: string): Promise<AgentStatus> {
    const url = this.client(name).baseUrl;
    const [health, ready, descriptor] = await Promise.all([
      this.health(url),
      this.readiness(url),
      this.descriptor(name, this.opts.probeTimeoutMs, true).then(
        (d) => ({ descriptor: d }),
        (err: unknown) => ({ descriptor: null, descriptor_error: describeFetchError(err) }),
      ),
    ]);
    return { name, url, health, ready, ...descriptor };
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

  private async readiness(url: string): Promise<AgentReadiness> {
    try {
      const res = await this.fetch(`${url}/ready`, { signal: AbortSignal.timeout(this.opts.probeTimeoutMs) });
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

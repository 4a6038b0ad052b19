import { AgentError } from '../contract/errors.js';
import { noopLogger, type Logger } from '../ports/logger.js';
import type { AgentRegistry, Replica } from './agent-registry.js';

/** Options of {@link ReplicaPool}. */
export interface ReplicaPoolOptions {
  registry: AgentRegistry;
  /** How long a list of live replicas is reused before the registry is read again. Default 1 s. */
  refreshMs?: number;
  /** How long a replica that refused a connection is passed over. Default 5 s. */
  refusedForMs?: number;
  now?: () => number;
  log?: Logger;
}

/** Socket errors that mean the request never reached a server: safe to send elsewhere. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when a fetch failed before the request reached any server (refused, no route, no such
 * host) — looking through `cause` chains and the AggregateError Node raises when every address
 * of a host refused.
 */
export function isConnectionRefused(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NOT_DELIVERED.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    return e.errors.every((inner) => isConnectionRefused(inner, depth + 1));
  }
  return isConnectionRefused(e.cause, depth + 1);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Picks where each call to an agent goes: round robin over its live replicas (read from the
 * registry at most every `refreshMs`), passing over replicas that refused a connection within
 * `refusedForMs`. When every live replica refused lately it still hands one out — a replica that
 * came back must be found again. Any replica serves any job of its agent (the job backend is
 * shared), so a follow-up call may go to another replica than the submit.
 */
export class ReplicaPool {
  private readonly registry: AgentRegistry;
  private readonly refreshMs: number;
  private readonly refusedForMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly lists = new Map<string, { at: number; value: Promise<Replica[]> }>();
  private readonly turns = new Map<string, number>();
  private readonly refusedAt = new Map<string, number>();

  constructor(opts: ReplicaPoolOptions) {
    this.registry = opts.registry;
    this.refreshMs = opts.refreshMs ?? 1_000;
    this.refusedForMs = opts.refusedForMs ?? 5_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? noopLogger;
  }

  /** Name of the registry behind the pool (`redis`, `static`). */
  get source(): string {
    return this.registry.name;
  }

  /** The live replicas of an agent, as last read (at most `refreshMs` old). */
  replicas(agent: string): Promise<Replica[]> {
    const cached = this.lists.get(agent);
    const now = this.now();
    if (cached && now - cached.at < this.refreshMs) return cached.value;
    const value = this.registry.live(agent);
    this.lists.set(agent, { at: now, value });
    void value.catch(() => {
      if (this.lists.get(agent)?.value === value) this.lists.delete(agent);
    });
    return value;
  }

  /** The base URL for the next call to an agent; `dependency_unavailable` when none is live. */
  async next(agent: string): Promise<string> {
    const all = await this.replicas(agent);
    if (all.length === 0) {
      throw new AgentError('dependency_unavailable', {
        detail: `no live replica of ${agent} in the ${this.registry.name} registry`,
        details: { agent },
      });
    }
    const now = this.now();
    const willing = all.filter((r) => !this.recentlyRefused(r.url, now));
    const from = willing.length > 0 ? willing : all;
    const turn = this.turns.get(agent) ?? 0;
    this.turns.set(agent, turn + 1);
    return (from[turn % from.length] as Replica).url;
  }

  /** A resolver for the kit's `AgentClient`: each request asks the pool. */
  resolver(agent: string): () => Promise<string> {
    return () => this.next(agent);
  }

  /** Notes that a replica refused a connection: it is passed over for `refusedForMs`. */
  refused(url: string): void {
    const origin = originOf(url);
    if (!this.refusedAt.has(origin)) this.log.warn({ replica_url: origin }, 'replica refused a connection');
    this.refusedAt.set(origin, this.now());
  }

  /** A fetch that reports refused connections to this pool (and answers as the given fetch does). */
  observe(base: typeof fetch = globalThis.fetch): typeof fetch {
    return async (input, init) => {
      try {
        const res = await base(input, init);
        this.refusedAt.delete(originOf(requestUrl(input)));
        return res;
      } catch (err) {
        if (isConnectionRefused(err)) this.refused(requestUrl(input));
        throw err;
      }
    };
  }

  private recentlyRefused(url: string, now: number): boolean {
    const at = this.refusedAt.get(originOf(url));
    if (at === undefined) return false;
    if (now - at < this.refusedForMs) return true;
    this.refusedAt.delete(originOf(url));
    return false;
  }
}

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AgentError } from '../contract/errors.js';

/** What a running replica of an agent says about itself when it announces. */
export interface ReplicaAnnouncement {
  /** Agent name, e.g. `retriever`. */
  agent: string;
  /** Unique per process: `<host>-<pid>-<random>` (see {@link newReplicaId}). */
  replica_id: string;
  /** Base URL other services reach the replica at, e.g. `http://10.0.0.5:11001`. */
  url: string;
  version: string;
  /** ISO time the process started. */
  started_at: string;
  capability: string;
}

/**
 * A replica as the registry knows it: announced by its heartbeats, or configured
 * (`AGENT_URL_<NAME>`), in which case only the agent, URL and a stable id are known.
 */
export interface Replica {
  agent: string;
  replica_id: string;
  url: string;
  version?: string;
  started_at?: string;
  capability?: string;
  source: 'announced' | 'configured';
}

/** A replica's presence in the registry, kept alive by heartbeats until withdrawn. */
export interface Announcement {
  readonly replica: ReplicaAnnouncement;
  /** Stops the heartbeats and removes the replica at once (graceful shutdown). Idempotent. */
  withdraw(): Promise<void>;
}

/**
 * Where the replicas of every agent are found. A replica announces itself after it listens, keeps
 * its entry alive with heartbeats, and withdraws before it drains; one that dies without
 * withdrawing disappears once its entry's TTL runs out.
 */
export interface AgentRegistry {
  /** `redis` or `static`. */
  readonly name: string;
  /** Lifetime of an entry without heartbeats; 0 when entries never expire (static). */
  readonly ttlMs: number;
  /** Registers a replica and keeps it alive with heartbeats; resolves after the first beat. */
  announce(replica: ReplicaAnnouncement): Promise<Announcement>;
  /** The live replicas of one agent, or of every agent; sorted by agent, then replica id. */
  live(agent?: string): Promise<Replica[]>;
  /**
   * Stops every heartbeat without withdrawing (an entry left behind expires within the TTL) and
   * releases connections. Idempotent.
   */
  close(): Promise<void>;
}

/** Default lifetime of a registry entry without heartbeats. */
export const DEFAULT_REGISTRY_TTL_MS = 10_000;

/** Agent names as the config allows them (they become parts of keys). */
const AGENT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
/** Replica ids: safe inside keys and URLs. */
const REPLICA_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** A fresh replica id: `<host>-<pid>-<6 hex>`, the host reduced to key-safe characters. */
export function newReplicaId(host = hostname(), pid = process.pid): string {
  const safeHost = host.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 64) || 'host';
  return `${safeHost}-${pid}-${randomBytes(3).toString('hex')}`;
}

/** Rejects an announcement whose names could not live in the registry, with `bad_request`. */
export function checkAnnouncement(replica: ReplicaAnnouncement): void {
  const problems: string[] = [];
  if (!AGENT_NAME_RE.test(replica.agent)) problems.push(`agent ${JSON.stringify(replica.agent)}`);
  if (!REPLICA_ID_RE.test(replica.replica_id))
    problems.push(`replica_id ${JSON.stringify(replica.replica_id)}`);
  let url: URL | undefined;
  try {
    url = new URL(replica.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`url ${JSON.stringify(replica.url)}`);
  }
  if (problems.length > 0) {
    throw new AgentError('bad_request', {
      detail: `cannot announce a replica with ${problems.join(', ')}`,
      retryable: false,
    });
  }
}

/** Orders replicas by agent, then id, so every reader sees one stable order. */
export function byAgentThenId(a: Replica, b: Replica): number {
  return a.agent === b.agent
    ? a.replica_id < b.replica_id
      ? -1
      : a.replica_id > b.replica_id
        ? 1
        : 0
    : a.agent < b.agent
      ? -1
      : 1;
}

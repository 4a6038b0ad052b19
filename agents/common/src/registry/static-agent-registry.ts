import { ConfigError } from '../config.js';
import {
  byAgentThenId,
  checkAnnouncement,
  type AgentRegistry,
  type Announcement,
  type Replica,
  type ReplicaAnnouncement,
} from './agent-registry.js';

/** Prefix of the variables that name agent base URLs (`AGENT_URL_RETRIEVER`, `AGENT_URL_MY_AGENT`). */
export const AGENT_URL_ENV_PREFIX = 'AGENT_URL_';

const AGENT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Agent name → base URL from `AGENT_URL_<NAME>` variables (`_` in NAME reads as `-`), over the
 * given defaults. Throws {@link ConfigError} naming the variable on a value that is not an http(s) URL.
 */
export function staticAgentUrls(
  env: NodeJS.ProcessEnv,
  defaults: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...defaults };
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(AGENT_URL_ENV_PREFIX)) continue;
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    const name = variable.slice(AGENT_URL_ENV_PREFIX.length).toLowerCase().replace(/_/g, '-');
    if (!AGENT_NAME_RE.test(name)) {
      throw new ConfigError(variable, 'named AGENT_URL_<AGENT NAME> (letters, digits, underscores)', raw);
    }
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(variable, 'an http(s) URL like http://127.0.0.1:11001', raw);
    }
    out[name] = raw.replace(/\/+$/, '');
  }
  return out;
}

/**
 * The registry of the embedded default: every agent at the one URL its configuration names
 * (`configured` replicas, id `<agent>@config`), plus replicas announced in this process. Nothing
 * expires: with no shared store there is no other process whose death could be noticed, and a
 * replica here leaves by withdrawing.
 */
export function createStaticAgentRegistry(agents: Readonly<Record<string, string>>): AgentRegistry {
  const configured: Replica[] = Object.entries(agents).map(([agent, url]) => ({
    agent,
    replica_id: `${agent}@config`,
    url: url.replace(/\/+$/, ''),
    source: 'configured',
  }));
  const announced = new Map<string, Replica>();
  return {
    name: 'static',
    ttlMs: 0,
    async announce(replica: ReplicaAnnouncement): Promise<Announcement> {
      checkAnnouncement(replica);
      const key = `${replica.agent}\n${replica.replica_id}`;
      announced.set(key, { ...replica, url: replica.url.replace(/\/+$/, ''), source: 'announced' });
      return {
        replica: { ...replica },
        withdraw: async () => {
          announced.delete(key);
        },
      };
    },
    async live(agent) {
      return [...configured, ...announced.values()]
        .filter((r) => agent === undefined || r.agent === agent)
        .map((r) => ({ ...r }))
        .sort(byAgentThenId);
    },
    async close() {
      announced.clear();
    },
  };
}

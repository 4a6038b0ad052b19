import { readFileSync } from 'node:fs';
import { ConfigError } from '@sutazai/agent-kit';

/** The mesh's registered port (SPEC §2). */
export const MESH_DEFAULT_PORT = 10010;

/** Agents the mesh knows without being told, at their registered ports (agents/PortRegistry.md). */
export const REGISTERED_AGENTS: Readonly<Record<string, number>> = Object.freeze({
  orchestrator: 11000,
  retriever: 11001,
  planner: 11002,
  generator: 11003,
  verifier: 11004,
});

/** Agent that takes `POST /v1/jobs` when the request names none, and that `/ready` depends on. */
export const DEFAULT_AGENT = 'orchestrator';

/** Prefix of the variables that name agent base URLs (`AGENT_URL_RETRIEVER`, `AGENT_URL_MY_AGENT`). */
export const AGENT_URL_PREFIX = 'AGENT_URL_';

/** Agent names as the kit's config allows them. */
export const AGENT_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The validated, frozen configuration of the mesh process. */
export interface MeshConfig {
  readonly port: number;
  readonly host: string;
  /** Agent name → base URL (no trailing slash); with `redisUrl`, only the names listed by default. */
  readonly agents: Readonly<Record<string, string>>;
  /**
   * `REDIS_URL`: read the live replicas of every agent from the registry in this Redis (what the
   * agents announce into) instead of the configured URLs. Unset: the configured URLs.
   */
  readonly redisUrl?: string;
  readonly bodyLimitBytes: number;
  readonly sseHeartbeatMs: number;
  /** Budget of one proxied call to an agent (plus any `Prefer: wait`). */
  readonly upstreamTimeoutMs: number;
  /** Budget of each probe `/v1/agents` makes. */
  readonly probeTimeoutMs: number;
  /** How long `/v1/agents` answers from its last probe round. */
  readonly registryCacheMs: number;
  /** `Prefer: wait` the mesh asks for on `POST /v1/documents`. */
  readonly documentsWaitS: number;
  /** Longest a relayed event stream stays open. */
  readonly streamMaxMs: number;
  readonly shutdownGraceMs: number;
  readonly prometheusNamespace: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

type Parser<T> = { expected: string; parse: (raw: string) => T | undefined };

const int = (min: number, max: number): Parser<number> => ({
  expected: `an integer from ${min} to ${max}`,
  parse: (raw) => {
    if (!/^\d+$/.test(raw.trim())) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  },
});
const httpUrl: Parser<string> = {
  expected: 'an http:// or https:// URL',
  parse: (raw) => {
    try {
      const u = new URL(raw);
      return u.protocol === 'http:' || u.protocol === 'https:' ? raw.replace(/\/+$/, '') : undefined;
    } catch {
      return undefined;
    }
  },
};
const redisUrl: Parser<string> = {
  expected: 'a URL (redis:, rediss:)',
  parse: (raw) => {
    try {
      const u = new URL(raw);
      return u.protocol === 'redis:' || u.protocol === 'rediss:' ? raw : undefined;
    } catch {
      return undefined;
    }
  },
};
const text = (re: RegExp, expected: string): Parser<string> => ({
  expected,
  parse: (raw) => (re.test(raw) ? raw : undefined),
});
const oneOf = <T extends string>(values: readonly T[]): Parser<T> => ({
  expected: `one of ${values.join(', ')}`,
  parse: (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : undefined),
});

function read<T>(env: NodeJS.ProcessEnv, variable: string, p: Parser<T>, def: T): T {
  const raw = env[variable];
  if (raw === undefined || raw === '') return def;
  const value = p.parse(raw);
  if (value === undefined) throw new ConfigError(variable, p.expected, raw);
  return value;
}

/** A secret from `<VARIABLE>_FILE` (a path) or `<VARIABLE>`; its value never appears in errors. */
function readSecret(env: NodeJS.ProcessEnv, variable: string, p: Parser<string>): string | undefined {
  const file = env[`${variable}_FILE`];
  let raw = env[variable];
  if (file !== undefined && file !== '') {
    try {
      raw = readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${variable}_FILE`, 'a readable file path', file);
    }
  }
  if (raw === undefined || raw === '') return undefined;
  const value = p.parse(raw);
  if (value === undefined) throw new ConfigError(variable, p.expected, '[hidden]');
  return value;
}

/**
 * The agents to route to: the registered ones at `http://127.0.0.1:<port>`, each overridden by its
 * `AGENT_URL_<NAME>`, plus any other agent an `AGENT_URL_<NAME>` names (`_` in NAME reads as `-`).
 */
export function agentUrlsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, port] of Object.entries(REGISTERED_AGENTS)) out[name] = `http://127.0.0.1:${port}`;
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(AGENT_URL_PREFIX)) continue;
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const name = variable.slice(AGENT_URL_PREFIX.length).toLowerCase().replace(/_/g, '-');
    if (!AGENT_NAME_RE.test(name)) {
      throw new ConfigError(variable, `named AGENT_URL_<AGENT NAME> (letters, digits, underscores)`, raw);
    }
    out[name] = read(env, variable, httpUrl, '');
  }
  return out;
}

/** Reads and validates the mesh's environment once; throws {@link ConfigError} naming the first bad variable. */
export function loadMeshConfig(env: NodeJS.ProcessEnv): MeshConfig {
  const redis = readSecret(env, 'REDIS_URL', redisUrl);
  return Object.freeze({
    ...(redis === undefined ? {} : { redisUrl: redis }),
    port: read(env, 'MESH_PORT', int(0, 65535), MESH_DEFAULT_PORT),
    host: read(env, 'MESH_HOST', text(/^[\w.:-]+$/, 'a host name or IP address'), '127.0.0.1'),
    agents: Object.freeze(agentUrlsFromEnv(env)),
    bodyLimitBytes: read(env, 'MESH_BODY_LIMIT_BYTES', int(1024, 256 * 1024 * 1024), 10 * 1024 * 1024),
    sseHeartbeatMs: read(env, 'SSE_HEARTBEAT_MS', int(100, 15_000), 15_000),
    upstreamTimeoutMs: read(env, 'MESH_UPSTREAM_TIMEOUT_MS', int(100, 600_000), 10_000),
    probeTimeoutMs: read(env, 'MESH_PROBE_TIMEOUT_MS', int(50, 30_000), 1000),
    registryCacheMs: read(env, 'MESH_REGISTRY_CACHE_MS', int(0, 2000), 2000),
    documentsWaitS: read(env, 'MESH_DOCUMENTS_WAIT_S', int(0, 60), 60),
    streamMaxMs: read(env, 'MESH_STREAM_MAX_MS', int(1000, 86_400_000), 3_600_000),
    shutdownGraceMs: read(env, 'SHUTDOWN_GRACE_MS', int(0, 600_000), 10_000),
    prometheusNamespace: read(
      env,
      'PROMETHEUS_NAMESPACE',
      text(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)'),
      'sutazai_agents',
    ),
    logLevel: read(env, 'LOG_LEVEL', oneOf(LOG_LEVELS), 'info'),
  });
}

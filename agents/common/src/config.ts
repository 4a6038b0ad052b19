import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Raised when the environment holds a bad value; its message is one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(
      `config error: ${variable} must be ${expected}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`,
    );
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const VECTOR_PROVIDERS = ['pglite', 'qdrant', 'memory'] as const;

type Parser<T> = { expected: string; parse: (raw: string) => T | undefined };

const int = (min: number, max: number): Parser<number> => ({
  expected: `an integer from ${min} to ${max}`,
  parse: (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  },
});
const num = (min: number, max: number): Parser<number> => ({
  expected: `a number from ${min} to ${max}`,
  parse: (raw) => {
    if (raw.trim() === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
  },
});
const oneOf = <T extends string>(values: readonly T[]): Parser<T> => ({
  expected: `one of ${values.join(', ')}`,
  parse: (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : undefined),
});
const url = (protocols: readonly string[]): Parser<string> => ({
  expected: `a URL (${protocols.join(', ')})`,
  parse: (raw) => {
    const r = z.url().safeParse(raw);
    if (!r.success) return undefined;
    return protocols.includes(new URL(raw).protocol) ? raw.replace(/\/+$/, '') : undefined;
  },
});
const name: Parser<string> = {
  expected: 'a name of lowercase letters, digits and dashes (1-40 chars, starting with a letter)',
  parse: (raw) => (/^[a-z][a-z0-9-]{0,39}$/.test(raw) ? raw : undefined),
};
const text = (re: RegExp, expected: string): Parser<string> => ({
  expected,
  parse: (raw) => (re.test(raw) ? raw : undefined),
});

/** The validated, frozen configuration of one agent process (SPEC §5). */
export interface AgentConfig {
  readonly agentName: string;
  readonly port: number;
  readonly host: string;
  readonly maxWorkers: number;
  readonly maxQueueDepth: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly defaultDeadlineMs: number;
  readonly bodyLimitBytes: number;
  readonly idempotencyTtlS: number;
  readonly idempotencyPendingLeaseMs: number;
  readonly tenantRatePerS: number;
  readonly tenantBurst: number;
  readonly shutdownGraceMs: number;
  readonly sseHeartbeatMs: number;
  readonly ollamaBaseUrl: string | undefined;
  readonly modelId: string;
  readonly embedModel: string | undefined;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly redisUrl: string | undefined;
  readonly pgDsn: string | undefined;
  readonly neo4jUri: string | undefined;
  readonly vectorProvider: (typeof VECTOR_PROVIDERS)[number];
  readonly qdrantUrl: string | undefined;
  readonly dataDir: string;
  readonly prometheusNamespace: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

/** Environment variables, their parser and default. `*_FILE` variants are read for secrets. */
const SPEC = {
  agentName: { env: 'AGENT_NAME', p: name, def: undefined },
  port: { env: 'AGENT_PORT', p: int(0, 65535), def: undefined },
  host: { env: 'AGENT_HOST', p: text(/^[\w.:-]+$/, 'a host name or IP address'), def: '127.0.0.1' },
  maxWorkers: { env: 'AGENT_MAX_WORKERS', p: int(1, 1024), def: 4 },
  maxQueueDepth: { env: 'AGENT_MAX_QUEUE_DEPTH', p: int(1, 1_000_000), def: 256 },
  maxAttempts: { env: 'AGENT_MAX_ATTEMPTS', p: int(1, 20), def: 3 },
  retryBaseMs: { env: 'AGENT_RETRY_BASE_MS', p: int(1, 600_000), def: 200 },
  retryMaxMs: { env: 'AGENT_RETRY_MAX_MS', p: int(1, 3_600_000), def: 10_000 },
  defaultDeadlineMs: { env: 'AGENT_DEFAULT_DEADLINE_MS', p: int(1, 86_400_000), def: 60_000 },
  bodyLimitBytes: { env: 'AGENT_BODY_LIMIT_BYTES', p: int(1024, 100 * 1024 * 1024), def: 1024 * 1024 },
  idempotencyTtlS: { env: 'IDEMPOTENCY_TTL_S', p: int(1, 30 * 86_400), def: 86_400 },
  idempotencyPendingLeaseMs: { env: 'IDEMPOTENCY_PENDING_LEASE_MS', p: int(100, 600_000), def: 5000 },
  tenantRatePerS: { env: 'TENANT_RATE_PER_S', p: num(0, 1_000_000), def: 0 },
  tenantBurst: { env: 'TENANT_BURST', p: int(1, 1_000_000), def: 100 },
  shutdownGraceMs: { env: 'SHUTDOWN_GRACE_MS', p: int(0, 600_000), def: 10_000 },
  sseHeartbeatMs: { env: 'SSE_HEARTBEAT_MS', p: int(100, 15_000), def: 15_000 },
  ollamaBaseUrl: { env: 'OLLAMA_BASE_URL', p: url(['http:', 'https:']), def: undefined },
  modelId: {
    env: 'MODEL_ID',
    p: text(/^[\w.:/-]{1,128}$/, 'an Ollama model name like tinyllama or llama3.2:1b'),
    def: 'tinyllama',
  },
  embedModel: {
    env: 'EMBED_MODEL',
    p: text(/^[\w.:/-]{1,128}$/, 'an Ollama embedding model name'),
    def: undefined,
  },
  temperature: { env: 'TEMPERATURE', p: num(0, 2), def: 0.2 },
  maxTokens: { env: 'MAX_TOKENS', p: int(1, 131_072), def: 512 },
  redisUrl: { env: 'REDIS_URL', p: url(['redis:', 'rediss:']), def: undefined },
  pgDsn: { env: 'PG_DSN', p: url(['postgres:', 'postgresql:']), def: undefined },
  neo4jUri: { env: 'NEO4J_URI', p: url(['bolt:', 'neo4j:', 'bolt+s:', 'neo4j+s:']), def: undefined },
  vectorProvider: { env: 'VECTOR_PROVIDER', p: oneOf(VECTOR_PROVIDERS), def: 'pglite' },
  qdrantUrl: { env: 'QDRANT_URL', p: url(['http:', 'https:']), def: undefined },
  dataDir: { env: 'DATA_DIR', p: text(/^[^\0]+$/, 'a directory path'), def: '.data' },
  prometheusNamespace: {
    env: 'PROMETHEUS_NAMESPACE',
    p: text(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)'),
    def: 'sutazai_agents',
  },
  logLevel: { env: 'LOG_LEVEL', p: oneOf(LOG_LEVELS), def: 'info' },
} as const;

const SECRET_VARS = new Set(['REDIS_URL', 'PG_DSN', 'NEO4J_URI']);

/** Environment variable names the config reads, for docs and tests. */
export const CONFIG_VARIABLES: readonly string[] = Object.values(SPEC).map((s) => s.env);

function readRaw(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const fileVar = `${variable}_FILE`;
  const file = env[fileVar];
  if (file !== undefined && file !== '') {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(fileVar, 'a readable file path', file);
    }
  }
  const raw = env[variable];
  return raw === undefined || raw === '' ? undefined : raw;
}

/**
 * Reads and validates the environment once. Agents pass their own name and port as defaults.
 * Throws {@link ConfigError} on the first bad value; the result is frozen.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  defaults: { agentName: string; port: number } & Partial<AgentConfig>,
): AgentConfig {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SPEC) as [keyof typeof SPEC, (typeof SPEC)[keyof typeof SPEC]][]) {
    const raw = readRaw(env, spec.env);
    const fallback = (defaults as Record<string, unknown>)[key] ?? spec.def;
    if (raw === undefined) {
      out[key] = fallback;
      continue;
    }
    const value = (spec.p as Parser<unknown>).parse(raw);
    if (value === undefined) {
      throw new ConfigError(spec.env, spec.p.expected, SECRET_VARS.has(spec.env) ? '[hidden]' : raw);
    }
    out[key] = value;
  }
  const cfg = out as unknown as AgentConfig;
  if (cfg.retryMaxMs < cfg.retryBaseMs) {
    throw new ConfigError(
      'AGENT_RETRY_MAX_MS',
      `at least AGENT_RETRY_BASE_MS (${cfg.retryBaseMs})`,
      String(cfg.retryMaxMs),
    );
  }
  if (cfg.vectorProvider === 'qdrant' && !cfg.qdrantUrl) {
    throw new ConfigError('QDRANT_URL', 'set when VECTOR_PROVIDER=qdrant', undefined);
  }
  return Object.freeze(cfg);
}

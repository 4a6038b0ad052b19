/**
 * The platform's pino logger: JSON lines, correlation keys on every line, PII scrubbed.
 *
 * Scrubbing runs in pino's `streamWrite` hook, on the finished line. Earlier hooks see too
 * little: `formatters.log` runs before serializers (so Fastify's request serializer output,
 * e.g. the client IP, would pass unscrubbed) and child bindings never reach any formatter.
 * At the end of the pipeline every key, whatever added it, is scrubbed exactly once.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions } from 'pino';
import { scrubText, scrubValue } from './pii.js';

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The agent's name, written as `agent` on every line. */
  agent: string;
  /** Minimum pino level (`trace` … `fatal`, or `silent`); defaults to `info`. */
  level?: string;
  /** Where lines go; defaults to stdout. */
  destination?: DestinationStream;
}

/** Keys present on every line; `null` until a child logger binds a real value. */
export const CORRELATION_KEYS = ['agent', 'trace_id', 'tenant_id'] as const;

/**
 * Creates the agent's root logger. Bind request context with
 * `logger.child({ trace_id, tenant_id })`; pass the logger to Fastify as `loggerInstance`.
 */
export function createLogger(opts: CreateLoggerOptions): PinoLogger {
  const { agent } = opts;
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    formatters: {
      bindings: (base) => ({ ...base, agent, trace_id: null, tenant_id: null }),
    },
    hooks: { streamWrite: (line) => scrubLine(line, agent) },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

/**
 * Scrubs one serialised log line. Re-serialising also folds duplicate keys (a child's
 * `trace_id` after the root's `null` one) into the last value, as JSON.parse reads them.
 */
function scrubLine(line: string, agent: string): string {
  const body = line.trimEnd();
  const end = line.slice(body.length);
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch {
    return scrubText(body) + end;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return scrubText(body) + end;
  const scrubbed = scrubValue(record) as Record<string, unknown>;
  scrubbed.agent ??= agent;
  scrubbed.trace_id ??= null;
  scrubbed.tenant_id ??= null;
  return JSON.stringify(scrubbed) + end;
}

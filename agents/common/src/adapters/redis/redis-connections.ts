import { Redis, type RedisOptions } from 'ioredis';
import { AgentError } from '../../contract/errors.js';
import type { Logger } from '../../ports/logger.js';
import { toRedisError } from './redis-errors.js';

/** How connections to one Redis are made. */
export interface RedisConnectionSettings {
  url: string;
  /** Extra ioredis options (TLS material, sentinel…); the role settings below win over them. */
  redisOptions?: RedisOptions;
  connectTimeoutMs: number;
  /** Longest a command on a fail-fast connection may take before it rejects. */
  commandTimeoutMs: number;
  /** Name prefix for `CLIENT LIST` (`<name>:<role>`). */
  clientName: string;
  logger: Logger;
}

/** What a connection is for; each role has the settings its commands need. */
export type RedisRole = 'command' | 'subscriber' | 'worker';

function backoff(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2_000);
}

/**
 * Opens a connection for a role:
 * - `command` and `subscriber` fail fast: no offline queue, no retry of a request after a
 *   disconnect, a command timeout. During an outage calls reject at once with
 *   `dependency_unavailable` (intake answers 503) instead of waiting for Redis to come back;
 * - `worker` is BullMQ's: blocking commands, so no command timeout and retries without limit
 *   (`maxRetriesPerRequest: null`, which BullMQ requires).
 * Every role reconnects by itself with a capped backoff. Command and subscriber connections are
 * created lazily; call {@link connectAll} to open them.
 */
export function openRedis(
  settings: RedisConnectionSettings,
  role: RedisRole,
  stopped?: () => boolean,
): Redis {
  const base: RedisOptions = {
    ...settings.redisOptions,
    connectionName: `${settings.clientName}:${role}`,
    connectTimeout: settings.connectTimeoutMs,
    // A worker connection stops reconnecting once its consumer stopped, so a stop during an outage
    // ends instead of leaving a connection retrying for ever.
    retryStrategy: (times: number) => (stopped?.() ? null : backoff(times)),
  };
  const options: RedisOptions =
    role === 'worker'
      ? { ...base, maxRetriesPerRequest: null, enableOfflineQueue: true }
      : {
          ...base,
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: settings.commandTimeoutMs,
        };
  const client = new Redis(settings.url, options);
  let reported = false;
  client.on('error', (err: unknown) => {
    // ioredis emits one error per failed reconnect attempt; one line per outage is enough.
    if (reported) return;
    reported = true;
    settings.logger.warn({ err, redis: role }, 'redis connection error; reconnecting');
  });
  client.on('ready', () => {
    if (reported) settings.logger.info({ redis: role }, 'redis connection restored');
    reported = false;
  });
  return client;
}

/**
 * Connects lazily created clients, or rejects with `dependency_unavailable` (and disconnects them)
 * when Redis does not answer within the connect timeout.
 */
export async function connectAll(clients: readonly Redis[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AgentError('dependency_unavailable', { detail: `redis did not answer within ${timeoutMs} ms` }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      Promise.all(clients.map((c) => (c.status === 'wait' ? c.connect() : Promise.resolve()))),
      timeout,
    ]);
  } catch (err) {
    for (const c of clients) c.disconnect();
    throw toRedisError(err, 'connect');
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection politely when it is up, at once otherwise. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}

import { AgentError } from '../../contract/errors.js';

/**
 * Server replies that mean "Redis cannot serve right now" rather than "this command is wrong":
 * a replica being promoted, a dataset still loading, a script hogging the server.
 */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN)\b/;

/** True for the error ioredis raises when the server answered with an error reply. */
function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

/**
 * Maps what a Redis call threw to the kit's error: unreachable or unable to serve →
 * `dependency_unavailable` (503, retryable), so intake refuses rather than accepting what it cannot
 * keep; a reply error the server gave on purpose (wrong type, script error) → `internal`.
 */
export function toRedisError(err: unknown, operation: string): AgentError {
  if (err instanceof AgentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isReplyError(err) && !UNAVAILABLE_REPLY.test(message)) {
    return new AgentError('internal', { detail: `redis ${operation} failed: ${message}`, cause: err });
  }
  return new AgentError('dependency_unavailable', {
    detail: `redis unavailable during ${operation}: ${message}`,
    cause: err,
    retryAfterS: 1,
    details: { dependency: 'redis' },
  });
}

/** Runs one Redis operation and maps any failure with {@link toRedisError}. */
export async function guardRedis<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toRedisError(err, operation);
  }
}

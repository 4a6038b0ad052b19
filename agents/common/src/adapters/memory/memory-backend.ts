import { AgentError } from '../../contract/errors.js';
import type { JobBackend } from '../../ports/job-backend.js';
import { noopLogger } from '../../ports/logger.js';
import type { Logger } from '../../ports/logger.js';
import { MemoryDeadLetterStore } from './memory-dead-letter-store.js';
import { MemoryEventLog } from './memory-event-log.js';
import { MemoryIdempotencyStore } from './memory-idempotency-store.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemoryWorkQueue } from './memory-work-queue.js';

/** Default time a finished job (record and events) is kept: one hour. */
export const DEFAULT_MEMORY_RETENTION_MS = 3_600_000;

/** Default period of the sweep that forgets expired jobs, events and idempotency keys. */
export const DEFAULT_MEMORY_SWEEP_INTERVAL_MS = 30_000;

/** Options of {@link createMemoryBackend}. */
export interface MemoryBackendOptions {
  /** Agent name: the queue is `agent.<agent>`, the dead-letter queue `agent.<agent>.dlq`. */
  agent: string;
  /** Clock in epoch ms (tests inject one). Defaults to `Date.now`. */
  now?: () => number;
  /** How long a job is kept after it reached a terminal status. */
  retentionMs?: number;
  /** Period of the background sweep (an unref'd timer). */
  sweepIntervalMs?: number;
  /** Receives errors thrown by event listeners and by the sweep. */
  logger?: Logger;
}

/** Sizes of what the memory backend holds, to show that its memory stays bounded. */
export interface MemoryBackendStats {
  jobs: number;
  eventStreams: number;
  idempotencyKeys: number;
  deadLetters: number;
}

/** The memory backend: a {@link JobBackend} plus a look at its sizes. */
export interface MemoryJobBackend extends JobBackend {
  /** What is held right now. */
  stats(): MemoryBackendStats;
}

/**
 * The embedded job backend for a single process: no external system, nothing survives a restart.
 * Finished jobs and their events are forgotten `retentionMs` after they finished, so a long-running
 * agent's memory stays bounded by its recent traffic.
 */
export function createMemoryBackend(opts: MemoryBackendOptions): MemoryJobBackend {
  if (opts.agent.length === 0) {
    throw new AgentError('internal', {
      detail: 'memory backend needs a non-empty agent name',
      retryable: false,
    });
  }
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? noopLogger;
  const retentionMs = opts.retentionMs ?? DEFAULT_MEMORY_RETENTION_MS;
  const queueName = `agent.${opts.agent}`;

  const events = new MemoryEventLog({ now, logger });
  const store = new MemoryJobStore({ now, onForget: (jobId) => events.drop(jobId) });
  const idempotency = new MemoryIdempotencyStore(now);
  const queue = new MemoryWorkQueue(queueName, now);
  const dlq = new MemoryDeadLetterStore(`${queueName}.dlq`);

  const sweep = (): void => {
    try {
      idempotency.sweep();
      const cutoff = now() - retentionMs;
      store.forgetFinishedBefore(cutoff);
      events.dropIdle(cutoff, (jobId) => store.has(jobId));
    } catch (err) {
      logger.error({ err, backend: 'memory' }, 'memory backend sweep failed');
    }
  };
  const sweeper = setInterval(sweep, opts.sweepIntervalMs ?? DEFAULT_MEMORY_SWEEP_INTERVAL_MS);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  return {
    name: 'memory',
    store,
    events,
    idempotency,
    queue,
    dlq,
    readiness: () => [],
    stats: () => ({
      jobs: store.size,
      eventStreams: events.size,
      idempotencyKeys: idempotency.size,
      deadLetters: dlq.size,
    }),
    close: () => {
      closing ??= (async () => {
        clearInterval(sweeper);
        await queue.close();
      })();
      return closing;
    },
  };
}

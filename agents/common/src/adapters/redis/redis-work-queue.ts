import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AgentError } from '../../contract/errors.js';
import type {
  AddOptions,
  QueueConsumer,
  QueueDepth,
  QueueHandler,
  QueueItem,
  WorkQueue,
} from '../../ports/job-backend.js';
import type { Logger } from '../../ports/logger.js';
import { guardRedis } from './redis-errors.js';
import { RedisScript } from './redis-script.js';

/** Worker tuning: how fast the items of a dead worker come back, and how rejections are retried. */
export interface RedisWorkerTuning {
  /**
   * Lock a worker holds on an item, renewed at half this period. A worker that dies stops
   * renewing, so its items are delivered elsewhere within about `lockDurationMs + stalledIntervalMs`.
   * A worker whose event loop blocks longer than this loses the item to another worker.
   */
  lockDurationMs: number;
  /** How often each worker looks for items whose lock expired. */
  stalledIntervalMs: number;
  /** Times an item may be recovered from dead workers before BullMQ gives up on it (keep high). */
  maxStalledCount: number;
  /** Wait before delivering again an item whose handler rejected (an infrastructure failure). */
  redeliveryDelayMs: number;
  /** Longest a stop waits, after its own timeout, for BullMQ to hand items back and close. */
  closeGraceMs: number;
}

/** Options of {@link RedisWorkQueue}. */
export interface RedisWorkQueueOptions {
  /** `agent.<name>`. */
  name: string;
  /** BullMQ key prefix. */
  prefix: string;
  /** The fail-fast command connection (shared with the other stores). */
  connection: Redis;
  /**
   * Opens a connection for one worker (blocking commands: no command timeout, no request limit);
   * it should stop reconnecting once `stopped()` is true.
   */
  workerConnection: (stopped: () => boolean) => Redis;
  tuning: RedisWorkerTuning;
  logger: Logger;
}

/** A delivered item whose handler is running. */
interface Delivery {
  readonly job: Job<QueueItem>;
  readonly token: string | undefined;
  /** Settles the BullMQ processor with WaitingError once the item was handed back. */
  readonly handBack: (err: Error) => void;
}

/**
 * KEYS: BullMQ's wait, delayed, prioritized and paused keys. ARGV: BullMQ job id, '1' if delayed.
 * How many backlog items are older than this one (-1 when it left the backlog: a worker has it).
 * BullMQ ids come from an INCR in its add script, so id order is add order; the wait list is
 * LPUSHed, so the items right of ours are older (a delayed item counts all waiting ones as older).
 */
const OLDER_IN_BACKLOG = new RedisScript(`
local id = tonumber(ARGV[1])
local older = 0
if ARGV[2] == '1' then
  if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -1 end
  older = redis.call('LLEN', KEYS[1])
else
  local pos = redis.call('LPOS', KEYS[1], ARGV[1])
  if not pos then return -1 end
  older = redis.call('LLEN', KEYS[1]) - pos - 1
end
for _, other in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local n = tonumber(other)
  if n == nil or n < id then older = older + 1 end
end
return older + redis.call('ZCARD', KEYS[3]) + redis.call('LLEN', KEYS[4])
`);

/** Attempts given to every item: redelivery after a rejection never runs out (the engine decides). */
const UNLIMITED_ATTEMPTS = 1_000_000;

/** Resolves true when `work` settles within `ms`, false otherwise. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The item as the handler sees it; `enqueuedAt` of a delayed item is when it became due. */
function itemOf(job: Job<QueueItem>): QueueItem {
  const { jobId, tenantId, kind, enqueuedAt } = job.data;
  const delay = job.opts.delay ?? 0;
  return {
    jobId,
    tenantId,
    kind,
    enqueuedAt: delay > 0 ? Math.max(enqueuedAt, job.timestamp + delay) : enqueuedAt,
  };
}

/** One BullMQ worker running a handler. */
class BullConsumer implements QueueConsumer {
  private readonly inflight = new Set<Delivery>();
  private readonly worker: Worker<QueueItem>;
  private readonly connection: Redis;
  private stopped: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly opts: RedisWorkQueueOptions,
    private readonly handler: QueueHandler,
    concurrency: number,
  ) {
    this.connection = opts.workerConnection(() => this.stopping);
    const { tuning } = opts;
    this.worker = new Worker<QueueItem>(opts.name, (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: opts.prefix,
      concurrency,
      lockDuration: tuning.lockDurationMs,
      stalledInterval: tuning.stalledIntervalMs,
      maxStalledCount: tuning.maxStalledCount,
      autorun: true,
    });
    let lastLogged = 0;
    this.worker.on('error', (err) => {
      // During an outage BullMQ reports every failed attempt; one line per few seconds is enough.
      if (Date.now() - lastLogged < 5_000) return;
      lastLogged = Date.now();
      opts.logger.warn({ err, queue: opts.name }, 'queue worker error');
    });
  }

  stop(timeoutMs: number): Promise<void> {
    this.stopped ??= this.shutdown(timeoutMs);
    return this.stopped;
  }

  private async process(job: Job<QueueItem>, token: string | undefined): Promise<void> {
    let handBack: (err: Error) => void = () => undefined;
    const handedBack = new Promise<never>((_, reject) => {
      handBack = reject;
    });
    const delivery: Delivery = { job, token, handBack };
    this.inflight.add(delivery);
    try {
      // The executor turns a handler that throws synchronously into a rejection.
      const run = new Promise<void>((resolve) => resolve(this.handler(itemOf(job))));
      run.catch(() => undefined);
      await Promise.race([run, handedBack]);
    } finally {
      this.inflight.delete(delivery);
    }
  }

  /**
   * `Worker.close()` stops fetching and waits for running handlers. Handlers still running at the
   * timeout have their items moved back to the head of the queue (so another consumer gets them at
   * once) and their outcome no longer counts; if that move fails, the item's lock expires and the
   * stalled-job check of a live worker delivers it again.
   */
  private async shutdown(timeoutMs: number): Promise<void> {
    const closing = this.worker.close();
    closing.catch(() => undefined);
    if (!(await settlesWithin(closing, timeoutMs))) {
      this.stopping = true;
      await Promise.all([...this.inflight].map((delivery) => this.giveBack(delivery)));
      if (!(await settlesWithin(closing, this.opts.tuning.closeGraceMs))) {
        this.opts.logger.warn({ queue: this.opts.name }, 'queue worker did not close in time; dropping it');
      }
    }
    this.stopping = true;
    this.connection.disconnect();
  }

  private async giveBack(delivery: Delivery): Promise<void> {
    try {
      if (delivery.token === undefined) throw new Error('the delivery has no lock token');
      const moving = delivery.job.moveToWait(delivery.token);
      moving.catch(() => undefined);
      if (!(await settlesWithin(moving, this.opts.tuning.closeGraceMs))) {
        throw new Error('Redis did not answer in time');
      }
      await moving;
    } catch (err) {
      this.opts.logger.warn(
        { err, queue: this.opts.name, job_id: delivery.job.data.jobId },
        'handing an item back failed; it is delivered again once its lock expires',
      );
    }
    delivery.handBack(new WaitingError('handed back at stop'));
  }
}

/**
 * The work queue on BullMQ. Each `add` is a new BullMQ job with a BullMQ-assigned id: the engine
 * re-adds a job id for its retry while the current delivery is still active, and a custom id would
 * make BullMQ drop that add as a duplicate. Duplicate deliveries are the engine's business (its
 * queued→running compare-and-set), not the queue's.
 */
export class RedisWorkQueue implements WorkQueue {
  readonly name: string;
  private readonly queue: Queue<QueueItem>;
  private readonly consumers = new Set<BullConsumer>();
  private closed = false;

  constructor(private readonly opts: RedisWorkQueueOptions) {
    this.name = opts.name;
    this.queue = new Queue<QueueItem>(opts.name, {
      connection: opts.connection,
      prefix: opts.prefix,
      streams: { events: { maxLen: 1_000 } },
      defaultJobOptions: {
        attempts: UNLIMITED_ATTEMPTS,
        backoff: { type: 'fixed', delay: opts.tuning.redeliveryDelayMs },
        removeOnComplete: true,
        removeOnFail: { count: 1_000 },
      },
    });
    this.queue.on('error', (err) => {
      opts.logger.warn({ err, queue: opts.name }, 'queue error');
    });
  }

  /** Resolves once BullMQ has checked the server. */
  async ready(): Promise<void> {
    await guardRedis('queue start', () => this.queue.waitUntilReady());
  }

  /**
   * With `maxDepth`: a backlog (waiting + delayed) already at the limit refuses without adding.
   * Otherwise the item is added and the backlog counted again; when concurrent adds took it past
   * the limit, an item stays only if fewer than `maxDepth` backlog items are older than it, and
   * removes itself otherwise. The oldest adds win, and the newest item that stays saw every other
   * item that stays, so the backlog never exceeds the limit through adds. (BullMQ's add is its own
   * Lua script; a check inside it would mean rewriting BullMQ's add.)
   */
  async add(item: QueueItem, opts: AddOptions = {}): Promise<boolean> {
    if (this.closed) throw new AgentError('shutting_down', { detail: `queue ${this.name} is closed` });
    const { maxDepth } = opts;
    const delay = Math.max(0, Math.ceil(opts.delayMs ?? 0));
    return guardRedis('queue add', async () => {
      if (maxDepth !== undefined && (await this.backlog()) >= maxDepth) return false;
      const job = await this.queue.add(
        'job',
        { jobId: item.jobId, tenantId: item.tenantId, kind: item.kind, enqueuedAt: item.enqueuedAt },
        delay > 0 ? { delay } : {},
      );
      if (maxDepth === undefined || job.id === undefined || (await this.backlog()) <= maxDepth) return true;
      const { keys } = this.queue;
      const older = Number(
        await OLDER_IN_BACKLOG.run(
          this.opts.connection,
          [keys.wait ?? '', keys.delayed ?? '', keys.prioritized ?? '', keys.paused ?? ''],
          [job.id, delay > 0 ? '1' : '0'],
        ),
      );
      if (older < maxDepth) return true;
      // 0 means a worker holds it already (or finished it): it was accepted after all.
      return (await this.queue.remove(job.id)) === 0;
    });
  }

  consume(handler: QueueHandler, opts: { concurrency: number }): QueueConsumer {
    if (this.closed) throw new AgentError('shutting_down', { detail: `queue ${this.name} is closed` });
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new AgentError('internal', {
        detail: `consumer concurrency must be a positive integer, got ${opts.concurrency}`,
        retryable: false,
      });
    }
    const consumer = new BullConsumer(this.opts, handler, opts.concurrency);
    this.consumers.add(consumer);
    return {
      stop: async (timeoutMs) => {
        await consumer.stop(timeoutMs);
        this.consumers.delete(consumer);
      },
    };
  }

  async depth(): Promise<QueueDepth> {
    const counts = await guardRedis('queue depth', () =>
      this.queue.getJobCounts('wait', 'paused', 'prioritized', 'active', 'delayed'),
    );
    return {
      waiting: (counts.wait ?? 0) + (counts.paused ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
    };
  }

  /** Stops every consumer (items in flight go back to the queue) and closes the BullMQ queue. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop(0)));
    this.consumers.clear();
    await this.queue.close().catch((err: unknown) => {
      this.opts.logger.debug({ err, queue: this.name }, 'closing the queue failed');
    });
  }

  private async backlog(): Promise<number> {
    const counts = await this.queue.getJobCounts('wait', 'paused', 'prioritized', 'delayed');
    return (counts.wait ?? 0) + (counts.paused ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
  }
}

import { AgentError } from '../../contract/errors.js';
import type {
  AddOptions,
  QueueConsumer,
  QueueDepth,
  QueueHandler,
  QueueItem,
  WorkQueue,
} from '../../ports/job-backend.js';
import { Deque } from './deque.js';
import { settle } from './memory-util.js';

/** One item handed to one handler. */
interface Delivery {
  readonly item: QueueItem;
  /** Settles when the handler does; never rejects. */
  settled: Promise<void>;
  /** Set when `stop` gave the item back to the queue: the handler's outcome no longer counts. */
  handedBack: boolean;
}

interface Consumer {
  readonly handler: QueueHandler;
  readonly concurrency: number;
  /** Deliveries in flight, in the order they started. */
  readonly inflight: Set<Delivery>;
  stopping: boolean;
  stopped: Promise<void> | undefined;
}

/**
 * An in-process work queue: a FIFO of due items, a set of delayed items (one unref'd timer each)
 * and any number of consumers sharing them. Delivery is event driven: adding an item, a timer
 * firing or a handler settling schedules a pump that fills every free slot at once.
 */
export class MemoryWorkQueue implements WorkQueue {
  private readonly waiting = new Deque<QueueItem>();
  private readonly delayed = new Map<number, { item: QueueItem; timer: NodeJS.Timeout }>();
  private readonly consumers: Consumer[] = [];
  private active = 0;
  private nextDelayedId = 0;
  /** Round-robin start, so concurrent consumers share the backlog instead of the first taking all. */
  private nextConsumer = 0;
  private pumpScheduled = false;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly now: () => number,
  ) {}

  add(item: QueueItem, opts: AddOptions = {}): Promise<boolean> {
    return settle(() => {
      if (this.closed) throw new AgentError('shutting_down', { detail: `queue ${this.name} is closed` });
      if (opts.maxDepth !== undefined && this.waiting.length + this.delayed.size >= opts.maxDepth)
        return false;
      const copy: QueueItem = { ...item };
      const delayMs = opts.delayMs ?? 0;
      if (delayMs > 0) {
        const id = this.nextDelayedId++;
        const timer = setTimeout(() => {
          this.delayed.delete(id);
          this.waiting.push({ ...copy, enqueuedAt: this.now() });
          this.schedulePump();
        }, delayMs);
        timer.unref();
        this.delayed.set(id, { item: copy, timer });
      } else {
        this.waiting.push(copy);
        this.schedulePump();
      }
      return true;
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
    const consumer: Consumer = {
      handler,
      concurrency: opts.concurrency,
      inflight: new Set(),
      stopping: false,
      stopped: undefined,
    };
    this.consumers.push(consumer);
    this.schedulePump();
    return { stop: (timeoutMs) => (consumer.stopped ??= this.stopConsumer(consumer, timeoutMs)) };
  }

  depth(): Promise<QueueDepth> {
    return settle(() => ({ waiting: this.waiting.length, active: this.active, delayed: this.delayed.size }));
  }

  /** Stops every consumer (items in flight go back to the queue) and discards delayed items. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await Promise.all(this.consumers.map((c) => (c.stopped ??= this.stopConsumer(c, 0))));
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    while (this.waiting.length > 0) {
      const consumer = this.freeConsumer();
      if (consumer === undefined) return;
      const item = this.waiting.shift();
      if (item === undefined) return;
      this.deliver(consumer, item);
    }
  }

  private freeConsumer(): Consumer | undefined {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.nextConsumer + i) % count;
      const consumer = this.consumers[index];
      if (consumer !== undefined && !consumer.stopping && consumer.inflight.size < consumer.concurrency) {
        this.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  private deliver(consumer: Consumer, item: QueueItem): void {
    const delivery: Delivery = { item, settled: Promise.resolve(), handedBack: false };
    consumer.inflight.add(delivery);
    this.active += 1;
    // The executor turns a handler that throws synchronously into a rejection.
    const run = new Promise<void>((resolve) => resolve(consumer.handler({ ...item })));
    delivery.settled = run.then(
      () => this.finish(consumer, delivery, true),
      () => this.finish(consumer, delivery, false),
    );
  }

  private finish(consumer: Consumer, delivery: Delivery, ok: boolean): void {
    consumer.inflight.delete(delivery);
    if (delivery.handedBack) return;
    this.active -= 1;
    if (ok) {
      this.schedulePump();
      return;
    }
    this.waiting.unshift(delivery.item);
    // A macrotask, not a microtask: a handler that always rejects must not starve I/O and timers.
    if (!this.closed) setImmediate(() => this.schedulePump());
  }

  private async stopConsumer(consumer: Consumer, timeoutMs: number): Promise<void> {
    consumer.stopping = true;
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
    if (consumer.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      await Promise.race([Promise.all([...consumer.inflight].map((d) => d.settled)), timedOut]);
      clearTimeout(timer);
    }
    // Whatever is still running is given back, in its original order, for another consumer.
    const stuck = [...consumer.inflight];
    for (let i = stuck.length - 1; i >= 0; i--) {
      const delivery = stuck[i];
      if (delivery === undefined) continue;
      delivery.handedBack = true;
      consumer.inflight.delete(delivery);
      this.active -= 1;
      this.waiting.unshift(delivery.item);
    }
    if (stuck.length > 0 && !this.closed) this.schedulePump();
  }
}

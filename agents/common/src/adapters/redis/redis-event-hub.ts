import type { Redis } from 'ioredis';
import { AgentError } from '../../contract/errors.js';
import type { JobEvent } from '../../contract/schemas.js';
import type { EventListener } from '../../ports/job-backend.js';
import type { Logger } from '../../ports/logger.js';
import { guardRedis } from './redis-errors.js';
import { decodeAnnouncement, lastEventId, readEvents } from './redis-event-log.js';
import type { RedisKeys } from './redis-keys.js';

/** One listener and how far it has got. */
interface Subscription {
  readonly jobId: string;
  readonly listener: EventListener;
  /** Id of the last event delivered (or skipped as history); undefined until subscribe resolves. */
  cursor: number | undefined;
  /** Announced events not yet delivered. */
  pending: JobEvent[];
  draining: boolean;
  /** Set when announcements may have been lost (reconnect, failed read): re-read from the stream. */
  resync: boolean;
  active: boolean;
}

interface Channel {
  readonly jobId: string;
  readonly subs: Set<Subscription>;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  readonly ready: Promise<void>;
}

/** Options of {@link RedisEventHub}. */
export interface RedisEventHubOptions {
  /** A connection used for nothing but pub/sub (it enters subscriber mode). */
  subscriber: Redis;
  /** The command connection, for reading the streams. */
  client: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** Pause before retrying a failed stream read. */
  retryMs?: number;
}

/**
 * Live delivery of job events: one pub/sub channel per job with listeners, all on one dedicated
 * connection (an XREAD BLOCK per watched job would hold a connection each). Announcements carry
 * the whole event, so the common case costs no read; the stream stays the source of truth:
 *
 * - subscribe: SUBSCRIBE is confirmed first, then the newest id is read as the cursor, so every
 *   event appended after subscribe resolves is announced to us, and nothing at or below the cursor
 *   is delivered (the caller reads history itself);
 * - a listener gets ids cursor+1, cursor+2 … in order, each once; when an announcement skips ids
 *   (lost while reconnecting), the missing ones are read from the stream before going on;
 * - after a reconnect the channels are subscribed again and every listener re-reads what it missed.
 */
export class RedisEventHub {
  private readonly channels = new Map<string, Channel>();
  private readonly retryMs: number;
  private connectedBefore = false;
  private closed = false;

  constructor(private readonly opts: RedisEventHubOptions) {
    this.retryMs = opts.retryMs ?? 1_000;
    opts.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    opts.subscriber.on('ready', () => this.onReady());
    if (opts.subscriber.status === 'ready') this.connectedBefore = true;
  }

  /** Subscribes `listener` to the job's events appended from now on. */
  async subscribe(jobId: string, listener: EventListener): Promise<() => void> {
    if (this.closed) throw new AgentError('shutting_down', { detail: 'event hub is closed' });
    const name = this.opts.keys.eventChannel(jobId);
    let channel = this.channels.get(name);
    if (channel === undefined) {
      const created: Channel = {
        jobId,
        subs: new Set(),
        ready: this.opts.subscriber.subscribe(name).then(() => undefined),
      };
      created.ready.catch(() => {
        if (this.channels.get(name) === created) this.channels.delete(name);
      });
      this.channels.set(name, created);
      channel = created;
    }
    const sub: Subscription = {
      jobId,
      listener,
      cursor: undefined,
      pending: [],
      draining: false,
      resync: false,
      active: true,
    };
    channel.subs.add(sub);
    const joined = channel;
    try {
      await guardRedis('event subscribe', () => joined.ready);
      sub.cursor = await lastEventId(this.opts.client, this.opts.keys, jobId);
    } catch (err) {
      this.unsubscribe(name, joined, sub);
      throw err;
    }
    void this.drain(sub);
    return () => this.unsubscribe(name, joined, sub);
  }

  /** Number of jobs with live listeners. */
  get size(): number {
    return this.channels.size;
  }

  /** Drops every listener (the owner closes the connections). */
  async close(): Promise<void> {
    this.closed = true;
    for (const channel of this.channels.values()) for (const sub of channel.subs) sub.active = false;
    this.channels.clear();
  }

  private unsubscribe(name: string, channel: Channel, sub: Subscription): void {
    sub.active = false;
    sub.pending = [];
    channel.subs.delete(sub);
    if (channel.subs.size > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    if (this.closed || this.opts.subscriber.status !== 'ready') return;
    this.opts.subscriber.unsubscribe(name).catch((err: unknown) => {
      this.opts.logger.debug({ err, channel: name }, 'unsubscribe from job events failed');
    });
  }

  private onMessage(name: string, message: string): void {
    const channel = this.channels.get(name);
    if (channel === undefined) return;
    const event = decodeAnnouncement(channel.jobId, message);
    if (event === undefined) return;
    for (const sub of channel.subs) {
      sub.pending.push(event);
      void this.drain(sub);
    }
  }

  /**
   * After a reconnect: subscribe again, then catch up from the streams. ioredis resubscribes by
   * itself too, but does not say when it is done; reading before that could miss an event.
   */
  private onReady(): void {
    if (!this.connectedBefore) {
      this.connectedBefore = true;
      return;
    }
    if (this.closed || this.channels.size === 0) return;
    const names = [...this.channels.keys()];
    this.opts.subscriber.subscribe(...names).then(
      () => {
        for (const channel of this.channels.values()) {
          for (const sub of channel.subs) {
            sub.resync = true;
            void this.drain(sub);
          }
        }
      },
      (err: unknown) => this.opts.logger.warn({ err }, 'resubscribing to job events failed'),
    );
  }

  /**
   * Delivers what can be delivered in order. Runs synchronously when the next event is at hand
   * (no await is reached), so announcements are delivered as they arrive.
   */
  private async drain(sub: Subscription): Promise<void> {
    if (sub.draining || !sub.active || sub.cursor === undefined) return;
    sub.draining = true;
    try {
      for (;;) {
        if (!sub.active) return;
        let cursor: number = sub.cursor ?? 0;
        if (sub.resync) {
          sub.resync = false;
          sub.pending.push(...(await readEvents(this.opts.client, this.opts.keys, sub.jobId, cursor)));
          if (!sub.active) return;
        }
        sub.pending = sub.pending.filter((e) => e.id > cursor).sort((a, b) => a.id - b.id);
        const next = sub.pending[0];
        if (next === undefined) return;
        if (next.id === cursor + 1) {
          sub.pending.shift();
          sub.cursor = next.id;
          this.deliver(sub, next);
          continue;
        }
        const missing = next.id - cursor - 1;
        const filled = await readEvents(this.opts.client, this.opts.keys, sub.jobId, cursor, missing);
        if (!sub.active) return;
        if (filled.length === 0 || filled[0]?.id !== cursor + 1) {
          // Trimmed away (MAXLEN) or expired: nothing to fill with, so move past the hole.
          this.opts.logger.warn(
            { job_id: sub.jobId, from: cursor + 1, to: next.id - 1 },
            'job events missing from the stream; skipping them',
          );
          cursor = next.id - 1;
          sub.cursor = cursor;
        }
        sub.pending.push(...filled);
      }
    } catch (err) {
      this.opts.logger.warn({ err, job_id: sub.jobId }, 'reading job events failed; retrying');
      sub.resync = true;
      if (sub.active) setTimeout(() => void this.drain(sub), this.retryMs).unref();
    } finally {
      sub.draining = false;
    }
  }

  private deliver(sub: Subscription, event: JobEvent): void {
    try {
      sub.listener(structuredClone(event));
    } catch (err) {
      this.opts.logger.warn(
        { err, job_id: event.job_id, event_id: event.id },
        'job event listener threw; other listeners still receive the event',
      );
    }
  }
}

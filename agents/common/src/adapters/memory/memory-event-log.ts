import { SCHEMA_VERSION } from '../../contract/schemas.js';
import type { JobEvent } from '../../contract/schemas.js';
import type { EventListener, EventLog, NewJobEvent } from '../../ports/job-backend.js';
import type { Logger } from '../../ports/logger.js';
import { copyJson, settle } from './memory-util.js';

interface Stream {
  /** Event `id` n sits at index n-1: streams are only ever dropped whole, so ids stay gap-free. */
  events: JobEvent[];
  listeners: Set<EventListener>;
  /** Events waiting to be delivered while a delivery is running (a listener that appends). */
  pending: JobEvent[];
  delivering: boolean;
  /** Last append or subscription (backend clock); orphan streams expire from here. */
  lastActivityMs: number;
}

/** Options of {@link MemoryEventLog}. */
export interface MemoryEventLogOptions {
  now: () => number;
  logger: Logger;
}

/** Per-job event arrays with synchronous, ordered fan-out to in-process listeners. */
export class MemoryEventLog implements EventLog {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly opts: MemoryEventLogOptions) {}

  append(jobId: string, event: NewJobEvent): Promise<JobEvent> {
    return settle(() => {
      const stream = this.streamOf(jobId);
      const stored: JobEvent = {
        schema: SCHEMA_VERSION,
        id: stream.events.length + 1,
        job_id: jobId,
        type: event.type,
        at: new Date(this.opts.now()).toISOString(),
        data: copyJson(event.data),
      };
      stream.events.push(stored);
      stream.lastActivityMs = this.opts.now();
      this.deliver(stream, stored);
      return copyJson(stored);
    });
  }

  read(jobId: string, afterId: number, limit?: number): Promise<JobEvent[]> {
    return settle(() => {
      const stream = this.streams.get(jobId);
      if (stream === undefined) return [];
      const start = Math.max(0, Math.floor(afterId));
      const end = limit === undefined ? undefined : start + Math.max(0, Math.floor(limit));
      return stream.events.slice(start, end).map((e) => copyJson(e));
    });
  }

  subscribe(jobId: string, listener: EventListener): Promise<() => void> {
    return settle(() => {
      const stream = this.streamOf(jobId);
      // Wrapped so the same function may subscribe twice and each unsubscribe removes only its own.
      const entry: EventListener = (e) => listener(e);
      stream.listeners.add(entry);
      stream.lastActivityMs = this.opts.now();
      return () => {
        stream.listeners.delete(entry);
        if (stream.listeners.size === 0 && stream.events.length === 0 && this.streams.get(jobId) === stream) {
          this.streams.delete(jobId);
        }
      };
    });
  }

  /** Forgets a job's events (the job itself was forgotten or rolled back). */
  drop(jobId: string): void {
    this.streams.delete(jobId);
  }

  /**
   * Forgets streams of jobs that have no record, no listener and no activity since `cutoffMs`:
   * events appended for an id the store never held must not accumulate for ever.
   */
  dropIdle(cutoffMs: number, hasRecord: (jobId: string) => boolean): number {
    let dropped = 0;
    for (const [jobId, stream] of this.streams) {
      if (stream.listeners.size > 0 || stream.lastActivityMs >= cutoffMs || hasRecord(jobId)) continue;
      this.streams.delete(jobId);
      dropped += 1;
    }
    return dropped;
  }

  /** Number of jobs with events or listeners. */
  get size(): number {
    return this.streams.size;
  }

  private streamOf(jobId: string): Stream {
    let stream = this.streams.get(jobId);
    if (stream === undefined) {
      stream = {
        events: [],
        listeners: new Set(),
        pending: [],
        delivering: false,
        lastActivityMs: this.opts.now(),
      };
      this.streams.set(jobId, stream);
    }
    return stream;
  }

  /**
   * Delivers in id order even when a listener appends to the same job from inside its callback:
   * the nested event is queued and delivered after the current one has reached every listener.
   */
  private deliver(stream: Stream, event: JobEvent): void {
    if (stream.listeners.size === 0) return;
    stream.pending.push(event);
    if (stream.delivering) return;
    stream.delivering = true;
    try {
      for (let next = stream.pending.shift(); next !== undefined; next = stream.pending.shift()) {
        for (const listener of [...stream.listeners]) {
          if (!stream.listeners.has(listener)) continue;
          try {
            listener(copyJson(next));
          } catch (err) {
            this.opts.logger.warn(
              { err, job_id: next.job_id, event_id: next.id },
              'job event listener threw; other listeners still receive the event',
            );
          }
        }
      }
    } finally {
      stream.delivering = false;
    }
  }
}

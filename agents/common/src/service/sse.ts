import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentError } from '../contract/errors.js';
import { TERMINAL_EVENT_TYPES, isTerminal, type JobEvent, type JobRecord } from '../contract/schemas.js';
import type { EventLog } from '../ports/job-backend.js';

/** Reads the resume point from `Last-Event-ID` (or `?last_event_id=` for clients that cannot set headers). */
export function lastEventId(req: FastifyRequest): number {
  const header = req.headers['last-event-id'];
  const query = (req.query as Record<string, unknown> | undefined)?.last_event_id;
  const raw = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new AgentError('invalid_header', { detail: 'Last-Event-ID must be a non-negative integer' });
  }
  return Number(raw.trim());
}

/** Formats one event in the text/event-stream wire format. */
export function formatSse(ev: JobEvent): string {
  return `id: ${ev.id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/**
 * Takes over the response and starts a `text/event-stream`: no caching, no proxy buffering, the
 * request's trace id, and a 1 s reconnect hint for clients.
 */
export function openEventStream(req: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
    'x-trace-id': req.trace.traceId,
  });
  res.write('retry: 1000\n\n');
  return res;
}

/** Where the stream reads from: a job's event log and its record (to know whether it has ended). */
export interface SseSource {
  events: EventLog;
  record(): Promise<JobRecord | undefined>;
}

/**
 * Streams a job's events after `afterId`, live, until the terminal event; heartbeats as comments.
 * Subscribes before reading history so no event falls in between, and drops duplicates by id.
 */
export async function streamJobEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  jobId: string,
  afterId: number,
  source: SseSource,
  heartbeatMs: number,
): Promise<void> {
  const res = openEventStream(req, reply);

  let lastSent = afterId;
  let live = false;
  let ended = false;
  const pending: JobEvent[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const end = (): void => {
    if (ended) return;
    ended = true;
    if (heartbeat) clearInterval(heartbeat);
    unsubscribe?.();
    res.end();
  };
  const send = (ev: JobEvent): void => {
    if (ended || ev.id <= lastSent) return;
    lastSent = ev.id;
    res.write(formatSse(ev));
    if (TERMINAL_EVENT_TYPES.has(ev.type)) end();
  };
  req.raw.on('close', end);

  try {
    unsubscribe = await source.events.subscribe(jobId, (ev) => (live ? send(ev) : pending.push(ev)));
    for (const ev of await source.events.read(jobId, afterId)) send(ev);
    live = true;
    for (const ev of pending.sort((a, b) => a.id - b.id)) send(ev);
    pending.length = 0;
    if (!ended) {
      // The client may have seen the terminal event already (resume after the end): nothing more comes.
      const rec = await source.record();
      if (!rec || isTerminal(rec.status)) {
        for (const ev of await source.events.read(jobId, lastSent)) send(ev);
        end();
        return;
      }
      heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref();
    }
  } catch (err) {
    req.log.error({ err }, 'event stream failed');
    end();
  }
}

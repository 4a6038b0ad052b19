import { EventSource, type FetchLikeResponse } from 'eventsource';
import { JobEventType } from '@sutazai/agent-kit';

/** One event as the EventSource client delivered it. */
export interface ReceivedEvent {
  /** The SSE `id:` field. */
  id: string;
  /** The SSE `event:` field. */
  type: string;
  /** The `data:` field, parsed. */
  data: unknown;
}

/** What one EventSource connection saw. */
export interface EventSourceRead {
  events: ReceivedEvent[];
  /** Headers of the stream's response. */
  headers: Headers;
  /** True when the server ended the stream (the client would now reconnect), not a failure. */
  endedByServer: boolean;
}

/**
 * Reads a job's event stream with the standard `eventsource` client until the server ends it, then
 * closes the client instead of letting it reconnect. `lastEventId` resumes like a reconnecting client.
 */
export function readWithEventSource(
  url: string,
  opts: { lastEventId?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<EventSourceRead> {
  return new Promise((resolve, reject) => {
    const events: ReceivedEvent[] = [];
    let response: Response | undefined;
    const es = new EventSource(url, {
      fetch: async (input, init): Promise<FetchLikeResponse> => {
        const headers: Record<string, string> = { ...init.headers, ...opts.headers };
        if (opts.lastEventId !== undefined && response === undefined)
          headers['Last-Event-ID'] = opts.lastEventId;
        const res = await fetch(input, { ...init, headers });
        response ??= res;
        return res;
      },
    });
    const timer = setTimeout(() => {
      es.close();
      reject(
        new Error(`stream not ended within ${opts.timeoutMs ?? 10_000} ms; got ${JSON.stringify(events)}`),
      );
    }, opts.timeoutMs ?? 10_000);
    const onEvent = (ev: MessageEvent): void => {
      events.push({ id: ev.lastEventId, type: ev.type, data: JSON.parse(String(ev.data)) as unknown });
    };
    // Named events reach only listeners of their name; `message` catches any event sent without one.
    for (const type of [...JobEventType.options, 'message']) es.addEventListener(type, onEvent);
    es.addEventListener('error', (ev) => {
      // CONNECTING after an error means the response ended and the client is about to reconnect.
      const endedByServer = es.readyState === es.CONNECTING && !ev.message;
      es.close();
      clearTimeout(timer);
      if (!response || (!endedByServer && events.length === 0)) {
        reject(
          new Error(`event stream failed: ${ev.message ?? 'unknown'} (HTTP ${ev.code ?? response?.status})`),
        );
        return;
      }
      resolve({ events, headers: response.headers, endedByServer });
    });
  });
}

/** A raw `text/event-stream` response read incrementally, to see comments such as heartbeats. */
export class RawEventStream {
  /** Everything received so far. */
  text = '';
  /** True once the server ended the response. */
  ended = false;
  private readonly decoder = new TextDecoder();

  private constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly controller: AbortController,
    /** The response headers. */
    readonly headers: Headers,
  ) {}

  /** Opens `url` and checks it is an event stream. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawEventStream> {
    const controller = new AbortController();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    return new RawEventStream(res.body.getReader(), controller, res.headers);
  }

  /** Reads until `done(text)` holds or the stream ends; throws when neither happens in `timeoutMs`. */
  async until(done: (text: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.text) && !this.ended) {
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, left))),
      );
      const chunk = await Promise.race([this.reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout')
        throw new Error(`stream did not get there within ${timeoutMs} ms; got ${JSON.stringify(this.text)}`);
      if (chunk.done) this.ended = true;
      else this.text += this.decoder.decode(chunk.value, { stream: true });
    }
    return this.text;
  }

  /** Drops the connection. */
  close(): void {
    this.controller.abort();
  }
}

import { EventSourceParserStream } from 'eventsource-parser/stream';
import { JobEvent } from '../contract/schemas.js';

/** Parses a `text/event-stream` body into job events (comments and non-job messages are skipped). */
export async function* readJobEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<JobEvent> {
  const stream = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const msg of stream) {
    if (!msg.data) continue;
    const parsed = JobEvent.safeParse(JSON.parse(msg.data));
    if (parsed.success) yield parsed.data;
  }
}

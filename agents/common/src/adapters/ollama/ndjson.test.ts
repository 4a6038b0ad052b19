import { describe, expect, it } from 'vitest';
import { AgentError } from '../../contract/errors.js';
import { readNdjson } from './ndjson.js';

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function collect(chunks: Uint8Array[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of readNdjson(streamOf(chunks))) out.push(v);
  return out;
}

describe('readNdjson', () => {
  it('joins lines split across chunks, even inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('{"a":"héllo"}\n{"b":2}\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    expect(await collect([bytes.slice(0, cut), bytes.slice(cut, cut + 5), bytes.slice(cut + 5)])).toEqual([
      { a: 'héllo' },
      { b: 2 },
    ]);
  });

  it('yields several lines of one chunk, skips blank lines and reads a last line without newline', async () => {
    const enc = new TextEncoder();
    expect(await collect([enc.encode('{"a":1}\n\n{"a":2}\r\n{"a":'), enc.encode('3}')])).toEqual([
      { a: 1 },
      { a: 2 },
      { a: 3 },
    ]);
  });

  it('fails with model_error on a line that is not JSON', async () => {
    const err = await collect([new TextEncoder().encode('{"a":1}\nnot json\n')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('model_error');
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":1}\n{"a":2}\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const v of readNdjson(body)) {
      expect(v).toEqual({ a: 1 });
      break;
    }
    expect(cancelled).toBe(true);
  });
});

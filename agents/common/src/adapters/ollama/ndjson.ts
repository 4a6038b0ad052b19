import { AgentError } from '../../contract/errors.js';

/**
 * Yields each JSON value of a newline-delimited JSON byte stream as it arrives. Lines may be split
 * across chunks (even inside a multi-byte character) and one chunk may hold many lines. When the
 * consumer stops early the body is cancelled, which closes the connection.
 */
export async function* readNdjson(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<unknown, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      let nl = buffer.indexOf('\n', start);
      while (nl !== -1) {
        const line = buffer.slice(start, nl).trim();
        if (line) yield parseLine(line);
        start = nl + 1;
        nl = buffer.indexOf('\n', start);
      }
      buffer = buffer.slice(start);
    }
    finished = true;
    const rest = (buffer + decoder.decode()).trim();
    if (rest) yield parseLine(rest);
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (err) {
    throw new AgentError('model_error', {
      detail: `model server sent a line that is not JSON: ${line.slice(0, 200)}`,
      cause: err,
    });
  }
}

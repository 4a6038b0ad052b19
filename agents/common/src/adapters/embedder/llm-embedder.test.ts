import { describe, expect, it } from 'vitest';
import { AgentError } from '../../contract/errors.js';
import type { LlmClient } from '../../ports/llm.js';
import { createLlmEmbedder } from './llm-embedder.js';
import type { EmbeddingModel, EmbeddingRequest } from './llm-embedder.js';

/** A model client that records its calls and answers with vectors of a chosen length. */
function recordingModel(
  length: (i: number) => number,
  count?: (n: number) => number,
): EmbeddingModel & { calls: EmbeddingRequest[] } {
  const calls: EmbeddingRequest[] = [];
  return {
    calls,
    embed(req) {
      calls.push(req);
      const n = count ? count(req.input.length) : req.input.length;
      return Promise.resolve({
        embeddings: Array.from({ length: n }, (_, i) =>
          Array.from({ length: length(i) }, (_, j) => (j + 1) / (i + 2)),
        ),
      });
    },
  };
}

describe('llm embedder', () => {
  it('passes model and signal through, batches, and keeps input order', async () => {
    const model = recordingModel(() => 3);
    const embedder = createLlmEmbedder({
      llm: model,
      dimensions: 3,
      model: 'nomic-embed-text',
      batchSize: 2,
    });
    const signal = new AbortController().signal;
    const out = await embedder.embed(['a', 'b', 'c'], signal);
    expect(out).toHaveLength(3);
    expect(model.calls.map((c) => c.input)).toEqual([['a', 'b'], ['c']]);
    expect(model.calls[0]?.model).toBe('nomic-embed-text');
    expect(model.calls[0]?.signal).toBe(signal);
    expect(embedder.name).toBe('llm:nomic-embed-text');
    expect(embedder.dimensions).toBe(3);
  });

  it('makes no call for no texts', async () => {
    const model = recordingModel(() => 3);
    await expect(createLlmEmbedder({ llm: model, dimensions: 3 }).embed([])).resolves.toEqual([]);
    expect(model.calls).toHaveLength(0);
  });

  it('fails with a non-retryable model_error when the model answers with other dimensions', async () => {
    const embedder = createLlmEmbedder({
      llm: recordingModel(() => 4),
      dimensions: 3,
      name: 'test-embedder',
    });
    const err: unknown = await embedder.embed(['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('model_error');
    expect((err as AgentError).retryable).toBe(false);
    expect((err as AgentError).details).toMatchObject({ embedder: 'test-embedder', expected: 3 });
  });

  it('fails with model_error when the model returns a different number of vectors', async () => {
    const embedder = createLlmEmbedder({
      llm: recordingModel(
        () => 3,
        (n) => n - 1,
      ),
      dimensions: 3,
    });
    await expect(embedder.embed(['a', 'b'])).rejects.toMatchObject({ code: 'model_error' });
  });

  it('rejects non-finite values and stops at an aborted signal', async () => {
    const nan: EmbeddingModel = { embed: () => Promise.resolve({ embeddings: [[1, Number.NaN, 0]] }) };
    await expect(createLlmEmbedder({ llm: nan, dimensions: 3 }).embed(['a'])).rejects.toMatchObject({
      code: 'model_error',
    });
    const model = recordingModel(() => 3);
    await expect(
      createLlmEmbedder({ llm: model, dimensions: 3 }).embed(['a'], AbortSignal.abort()),
    ).rejects.toThrow();
    expect(model.calls).toHaveLength(0);
  });

  it('takes an implementation of the LLM port as its model client', async () => {
    const unused = (): Promise<never> => Promise.reject(new Error('not used by the embedder'));
    const llm: LlmClient = {
      provider: 'test',
      model: 'chat-model',
      chat: unused,
      generate: unused,
      embed: (req) =>
        Promise.resolve({ model: req.model ?? 'embed-model', embeddings: req.input.map(() => [0.6, 0.8]) }),
      readiness: () => ({ name: 'test', check: () => Promise.resolve({ ok: true }) }),
      warmUp: () => Promise.resolve(),
    };
    await expect(createLlmEmbedder({ llm, dimensions: 2 }).embed(['a', 'b'])).resolves.toEqual([
      [0.6, 0.8],
      [0.6, 0.8],
    ]);
  });

  it('validates its options', () => {
    const llm = recordingModel(() => 3);
    expect(() => createLlmEmbedder({ llm, dimensions: 0 })).toThrow(RangeError);
    expect(() => createLlmEmbedder({ llm, dimensions: 3, batchSize: 0 })).toThrow(RangeError);
  });
});

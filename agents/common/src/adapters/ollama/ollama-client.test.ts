import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../contract/errors.js';
import type { LlmClient, TokenCounter } from '../../ports/llm.js';
import {
  startFakeOllama,
  type FakeOllama,
  type FakeOllamaOptions,
} from '../../testing/fixtures/fake-ollama.js';
import { createOllamaClient, type OllamaClientOptions } from './ollama-client.js';

let fake: FakeOllama | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

async function setup(
  fakeOpts: FakeOllamaOptions = {},
  clientOpts: Partial<OllamaClientOptions> = {},
): Promise<{ client: LlmClient; fake: FakeOllama; counted: [string, string, number][] }> {
  fake = await startFakeOllama(fakeOpts);
  const counted: [string, string, number][] = [];
  const tokens: TokenCounter = { add: (model, role, n) => void counted.push([model, role, n]) };
  const client = createOllamaClient({
    baseUrl: fake.url,
    model: 'tinyllama',
    tokens,
    retry: FAST_RETRY,
    ...clientOpts,
  });
  return { client, fake, counted };
}

async function failure(p: Promise<unknown>): Promise<AgentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

const ask = [{ role: 'user' as const, content: 'why is the sky blue' }];
const SENTENCE = 'This answer is about why is the sky blue.';

describe('Ollama adapter against the fake Ollama server', () => {
  it('streams chat tokens in order to onToken and assembles them', async () => {
    const { client, fake } = await setup({ tokenDelayMs: 2 });
    const deltas: string[] = [];
    const result = await client.chat({ messages: ask, onToken: (d) => deltas.push(d) });
    expect(deltas.slice(0, 3)).toEqual(['This', ' answer', ' is']);
    expect(deltas.join('')).toBe(SENTENCE);
    expect(result).toMatchObject({
      text: SENTENCE,
      model: 'tinyllama',
      doneReason: 'stop',
      promptTokens: 5,
      completionTokens: deltas.length,
    });
    expect(result.totalDurationMs).toBeGreaterThan(0);
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'tinyllama', stream: true, messages: ask });
  });

  it('sends temperature, num_predict, keep_alive, system and format as Ollama expects', async () => {
    const { client, fake } = await setup({}, { temperature: 0.2, maxTokens: 64, keepAlive: '30m' });
    await client.generate({ prompt: 'hi there', system: 'be brief', temperature: 0, format: 'json' });
    expect(fake.requests.at(-1)?.body).toEqual({
      model: 'tinyllama',
      prompt: 'hi there',
      system: 'be brief',
      stream: true,
      format: 'json',
      options: { temperature: 0, num_predict: 64 },
      keep_alive: '30m',
    });
  });

  it('the fake also answers stream:false the same way (the path the adapter does not take)', async () => {
    const { client, fake } = await setup();
    const streamed = await client.generate({ prompt: 'a b c' });
    const res = await fetch(fake.url + '/api/generate', {
      method: 'POST',
      body: JSON.stringify({ model: 'tinyllama', prompt: 'a b c', stream: false }),
    });
    expect(((await res.json()) as { response: string }).response).toBe(streamed.text);
  });

  it('returns parseable JSON matching a structured-output schema', async () => {
    const { client, fake } = await setup();
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        steps: { type: 'array', items: { type: 'string' } },
        score: { type: 'number' },
      },
      required: ['title', 'steps', 'score'],
    };
    const result = await client.chat({ messages: ask, format: schema });
    const parsed = JSON.parse(result.text) as { title: unknown; steps: unknown; score: unknown };
    expect(typeof parsed.title).toBe('string');
    expect(Array.isArray(parsed.steps) && parsed.steps.every((s) => typeof s === 'string')).toBe(true);
    expect(typeof parsed.score).toBe('number');
    expect((fake.requests.at(-1)?.body as { format: unknown }).format).toEqual(schema);
  });

  it('stops at maxTokens with doneReason length', async () => {
    const { client } = await setup();
    const result = await client.chat({ messages: ask, maxTokens: 3 });
    expect(result).toMatchObject({ text: 'This answer is', doneReason: 'length', completionTokens: 3 });
  });

  it("records Ollama's own token counts", async () => {
    const { client, counted } = await setup();
    await client.chat({ messages: ask, maxTokens: 4 });
    expect(counted).toEqual([
      ['tinyllama', 'prompt', 5],
      ['tinyllama', 'completion', 4],
    ]);
  });

  it('aborts mid-stream promptly, with the reason deciding the code, and the server sees the disconnect', async () => {
    // Tokens 300 ms apart: a reader that noticed the abort only at the next chunk would take far over 100 ms.
    const { client, fake } = await setup({ tokenDelayMs: 300 });
    const ac = new AbortController();
    const deltas: string[] = [];
    let abortedAt = 0;
    const call = client.chat({
      messages: ask,
      signal: ac.signal,
      onToken: (d) => {
        deltas.push(d);
        if (deltas.length === 2) {
          abortedAt = performance.now();
          ac.abort(new AgentError('deadline_exceeded', { detail: 'job deadline passed' }));
        }
      },
    });
    const err = await failure(call);
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(err.code).toBe('deadline_exceeded');
    const rec = await fake.waitForDisconnect();
    expect(rec.tokensSent).toBeLessThan(10);

    const plain = new AbortController();
    const second = client.chat({ messages: ask, signal: plain.signal, onToken: () => plain.abort() });
    expect((await failure(second)).code).toBe('cancelled');
  });

  it('maps an AbortSignal.timeout to deadline_exceeded while waiting for the first token', async () => {
    const { client } = await setup({ ttftMs: 2_000 });
    const err = await failure(client.generate({ prompt: 'x', signal: AbortSignal.timeout(30) }));
    expect(err.code).toBe('deadline_exceeded');
  });

  it('passes an error thrown by onToken through unchanged and closes the stream', async () => {
    const { client, fake } = await setup({ tokenDelayMs: 20 });
    const boom = new Error('consumer failed');
    const err = await client
      .chat({
        messages: ask,
        onToken: () => {
          throw boom;
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect((await fake.waitForDisconnect()).tokensSent).toBeLessThan(10);
  });

  it('fails at once with cancelled when the signal is already aborted', async () => {
    const { client, fake } = await setup();
    const err = await failure(client.chat({ messages: ask, signal: AbortSignal.abort() }));
    expect(err.code).toBe('cancelled');
    expect(fake.requests).toHaveLength(0);
  });

  it('retries 503 twice then succeeds', async () => {
    const { client, fake } = await setup({ failNext: { kind: 'status', status: 503, times: 2 } });
    const result = await client.chat({ messages: ask });
    expect(result.text).toBe(SENTENCE);
    expect(fake.requests.filter((r) => r.path === '/api/chat')).toHaveLength(3);
  });

  it('gives up on a server that stays busy with retryable model_unavailable', async () => {
    const { client, fake } = await setup({ failNext: { kind: 'status', status: 503, times: 100 } });
    const err = await failure(client.chat({ messages: ask }));
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: true });
    expect(err.details).toMatchObject({ status: 503, attempts: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('maps an HTTP 500 error body to model_error', async () => {
    const { client } = await setup({
      failNext: { kind: 'status', status: 500, error: 'llama runner process has terminated' },
    });
    const err = await failure(client.generate({ prompt: 'x' }));
    expect(err.code).toBe('model_error');
    expect(err.message).toContain('llama runner process has terminated');
  });

  it('maps an in-stream error line to model_error after the tokens before it', async () => {
    const { client } = await setup({
      failNext: { kind: 'error-mid-stream', afterTokens: 2, error: 'out of memory' },
    });
    const deltas: string[] = [];
    const err = await failure(client.chat({ messages: ask, onToken: (d) => deltas.push(d) }));
    expect(err.code).toBe('model_error');
    expect(err.message).toContain('out of memory');
    expect(deltas).toEqual(['This', ' answer']);
  });

  it('maps a connection dropped mid-stream to model_unavailable, without retrying', async () => {
    const { client, fake } = await setup({ failNext: { kind: 'drop-mid-stream', afterTokens: 1 } });
    const err = await failure(client.chat({ messages: ask }));
    expect(err.code).toBe('model_unavailable');
    expect(fake.requests).toHaveLength(1);
  });

  it('treats an unknown model as model_unavailable that no retry can fix', async () => {
    const { client, fake } = await setup();
    const err = await failure(client.chat({ messages: ask, model: 'llama9000' }));
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: false });
    expect(err.message).toContain('not found');
    expect(fake.requests).toHaveLength(1);
  });

  it('is not ready before warm-up (model not loaded) and ready after warmUp', async () => {
    const { client, fake } = await setup({}, { keepAlive: '10m' });
    const check = client.readiness();
    expect(check.name).toBe('ollama');
    const before = await check.check(AbortSignal.timeout(2_000));
    expect(before.ok).toBe(false);
    expect(before.detail).toContain('not loaded');
    await client.warmUp();
    expect(fake.requests.at(-1)?.body).toEqual({ model: 'tinyllama', keep_alive: '10m' });
    expect(await check.check(AbortSignal.timeout(2_000))).toEqual({ ok: true });
  });

  it('names a model that is not pulled, and an unreachable server, in readiness', async () => {
    const { fake } = await setup();
    const missing = createOllamaClient({
      baseUrl: fake.url,
      model: 'tinyllama',
      embedModel: 'nomic-embed-text',
    });
    const result = await missing.readiness().check(AbortSignal.timeout(2_000));
    expect(result).toEqual({
      ok: false,
      detail: 'model "nomic-embed-text" not found on Ollama (not pulled)',
    });
    const down = createOllamaClient({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      model: 'tinyllama',
    });
    const unreachable = await down.readiness().check(AbortSignal.timeout(2_000));
    expect(unreachable.ok).toBe(false);
    expect(unreachable.detail).toContain('unreachable');
  });

  it("embeds inputs into vectors of the model's size, counting prompt tokens", async () => {
    const { client, counted } = await setup({ embedDims: 32 }, { embedModel: 'tinyllama:latest' });
    const result = await client.embed({ input: ['red apple', 'blue sea water'] });
    expect(result.model).toBe('tinyllama:latest');
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings.every((v) => v.length === 32)).toBe(true);
    expect(counted).toEqual([['tinyllama:latest', 'prompt', 5]]);
  });

  it('maps connection refused to retryable model_unavailable', async () => {
    const client = createOllamaClient({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      model: 'tinyllama',
      retry: FAST_RETRY,
    });
    const err = await failure(client.chat({ messages: ask }));
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
    expect((await failure(client.embed({ input: ['x'] }))).code).toBe('model_unavailable');
  });

  it('gives up on a silent server after requestTimeoutMs', async () => {
    const { client } = await setup({ ttftMs: 2_000 }, { requestTimeoutMs: 50 });
    const err = await failure(client.chat({ messages: ask }));
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: true });
    expect(err.message).toContain('sent nothing for 50 ms');
  });
});

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

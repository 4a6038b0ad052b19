import { AgentError } from '../../contract/errors.js';
import type {
  ChatRequest,
  EmbedRequest,
  EmbedResult,
  GenerateRequest,
  LlmCallOptions,
  LlmClient,
  LlmResult,
  TokenCounter,
} from '../../ports/llm.js';
import type { DependencyCheck } from '../../ports/readiness.js';
import { readNdjson } from './ndjson.js';
import { OllamaHttp, type CallContext, type RetryPolicy } from './ollama-http.js';
import { ollamaReadiness } from './ollama-readiness.js';

/** Options of {@link createOllamaClient}. */
export interface OllamaClientOptions {
  /** e.g. `http://127.0.0.1:10104` */
  baseUrl: string;
  /** Default model of chat/generate, e.g. `tinyllama`. */
  model: string;
  /** Model of `embed`; the text model when omitted. */
  embedModel?: string;
  /** Default sampling temperature (`options.temperature`). */
  temperature?: number;
  /** Default cap on generated tokens (`options.num_predict`). */
  maxTokens?: number;
  /** Default `keep_alive` (e.g. `30m`, `-1` forever); the server's default (5m) when omitted. */
  keepAlive?: string;
  /** Receives Ollama's own prompt/completion token counts. */
  tokens?: TokenCounter;
  /** Retry of 503/429 (server queue full) before any token arrived. */
  retry?: RetryPolicy;
  /** Longest silence tolerated from the server before the answer starts or between chunks (default 120 s). */
  requestTimeoutMs?: number;
  /** Injected fetch (defaults to the global one). */
  fetch?: typeof fetch;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

type Chunk = Record<string, unknown>;

/**
 * An {@link LlmClient} over Ollama's HTTP API (`/api/chat`, `/api/generate`, `/api/embed`,
 * `/api/tags`, `/api/ps`). Text calls always stream NDJSON so tokens reach `onToken` as they are
 * generated and an abort stops generation at once (the connection is closed, which makes Ollama stop).
 */
export function createOllamaClient(opts: OllamaClientOptions): LlmClient {
  const http = new OllamaHttp({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    fetch: opts.fetch ?? globalThis.fetch,
    retry: opts.retry ?? DEFAULT_RETRY,
    idleTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  });
  const embedModel = opts.embedModel ?? opts.model;

  function requestFields(req: LlmCallOptions): Chunk {
    const options: Chunk = {};
    const temperature = req.temperature ?? opts.temperature;
    const maxTokens = req.maxTokens ?? opts.maxTokens;
    if (temperature !== undefined) options.temperature = temperature;
    if (maxTokens !== undefined) options.num_predict = maxTokens;
    const keepAlive = req.keepAlive ?? opts.keepAlive;
    return {
      stream: true,
      ...(req.format === undefined ? {} : { format: req.format }),
      ...(Object.keys(options).length ? { options } : {}),
      ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
    };
  }

  function count(model: string, role: 'prompt' | 'completion', n: number): void {
    if (n > 0) opts.tokens?.add(model, role, n);
  }

  async function streamText(
    path: '/api/chat' | '/api/generate',
    body: Chunk,
    req: LlmCallOptions,
    deltaOf: (chunk: Chunk) => unknown,
  ): Promise<LlmResult> {
    const model = String(body.model);
    const ctx: CallContext = { signal: req.signal, retry: true, details: { model, path } };
    const { response, guard } = await http.open('POST', path, body, ctx);
    let text = '';
    let final: Chunk | undefined;
    let callbackError: { error: unknown } | undefined;
    try {
      if (!response.body)
        throw new AgentError('model_error', { detail: 'Ollama sent no body', details: ctx.details });
      for await (const value of readNdjson(response.body)) {
        guard.touch();
        const chunk = asChunk(value);
        if (typeof chunk.error === 'string') {
          throw new AgentError('model_error', {
            detail: `Ollama failed mid-stream: ${chunk.error}`,
            details: ctx.details,
          });
        }
        const delta = deltaOf(chunk);
        if (typeof delta === 'string' && delta.length > 0) {
          text += delta;
          try {
            req.onToken?.(delta);
          } catch (error) {
            callbackError = { error };
            break;
          }
        }
        if (chunk.done === true) {
          final = chunk;
          break;
        }
      }
    } catch (err) {
      throw http.failure(err, guard, ctx, 'connection to Ollama lost mid-stream');
    } finally {
      guard.dispose();
    }
    if (callbackError) throw callbackError.error;
    if (!final) {
      throw new AgentError('model_error', {
        detail: 'Ollama ended the stream before its final chunk',
        details: ctx.details,
      });
    }
    const answeredBy = typeof final.model === 'string' ? final.model : model;
    const promptTokens = numberOr0(final.prompt_eval_count);
    const completionTokens = numberOr0(final.eval_count);
    count(answeredBy, 'prompt', promptTokens);
    count(answeredBy, 'completion', completionTokens);
    return {
      text,
      model: answeredBy,
      promptTokens,
      completionTokens,
      doneReason: typeof final.done_reason === 'string' ? final.done_reason : 'stop',
      totalDurationMs: numberOr0(final.total_duration) / 1e6,
    };
  }

  return {
    provider: 'ollama',
    model: opts.model,

    chat(req: ChatRequest): Promise<LlmResult> {
      const body = { model: req.model ?? opts.model, messages: req.messages, ...requestFields(req) };
      return streamText('/api/chat', body, req, (chunk) => {
        const message = chunk.message;
        return typeof message === 'object' && message !== null ? (message as Chunk).content : undefined;
      });
    },

    generate(req: GenerateRequest): Promise<LlmResult> {
      const body = {
        model: req.model ?? opts.model,
        prompt: req.prompt,
        ...(req.system === undefined ? {} : { system: req.system }),
        ...requestFields(req),
      };
      return streamText('/api/generate', body, req, (chunk) => chunk.response);
    },

    async embed(req: EmbedRequest): Promise<EmbedResult> {
      const model = req.model ?? embedModel;
      if (req.input.length === 0) return { embeddings: [], model };
      const keepAlive = opts.keepAlive === undefined ? {} : { keep_alive: opts.keepAlive };
      const ctx: CallContext = { signal: req.signal, retry: true, details: { model, path: '/api/embed' } };
      const answer = asChunk(
        await http.json('POST', '/api/embed', { model, input: req.input, ...keepAlive }, ctx),
      );
      const embeddings = answer.embeddings;
      if (!isVectorList(embeddings) || embeddings.length !== req.input.length) {
        throw new AgentError('model_error', {
          detail: `Ollama returned no valid embeddings for ${req.input.length} input(s)`,
          details: ctx.details,
        });
      }
      count(model, 'prompt', numberOr0(answer.prompt_eval_count));
      return { embeddings, model: typeof answer.model === 'string' ? answer.model : model };
    },

    readiness(): DependencyCheck {
      return ollamaReadiness(http, opts.model, embedModel === opts.model ? [] : [embedModel]);
    },

    async warmUp(signal?: AbortSignal): Promise<void> {
      // Ollama's documented preload: /api/generate with a model and no prompt loads it and answers at once.
      const body = {
        model: opts.model,
        ...(opts.keepAlive === undefined ? {} : { keep_alive: opts.keepAlive }),
      };
      const ctx: CallContext = { signal, retry: true, details: { model: opts.model, path: '/api/generate' } };
      const answer = asChunk(await http.json('POST', '/api/generate', body, ctx));
      if (typeof answer.error === 'string') {
        throw new AgentError('model_error', {
          detail: `Ollama could not load the model: ${answer.error}`,
          details: ctx.details,
        });
      }
    },
  };
}

function asChunk(value: unknown): Chunk {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Chunk) : {};
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function isVectorList(value: unknown): value is number[][] {
  return (
    Array.isArray(value) && value.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))
  );
}

import type { DependencyCheck } from './readiness.js';

/** One turn of a chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Options every text call shares. */
export interface LlmCallOptions {
  /** Overrides the client's default model for this call. */
  model?: string;
  /** Sampling temperature; the client's default when omitted. */
  temperature?: number;
  /** Upper bound on generated tokens; the client's default when omitted. */
  maxTokens?: number;
  /** `'json'` for JSON mode, or a JSON Schema the output must match (structured output). */
  format?: 'json' | Record<string, unknown>;
  /** Aborts the call; its `reason` (an AgentError `deadline_exceeded` or `cancelled`) decides the error thrown. */
  signal?: AbortSignal;
  /** Called with each generated text delta, in order, as it arrives. */
  onToken?: (delta: string) => void;
  /** How long the model stays loaded after this call (provider syntax, e.g. `5m`, `0` to unload). */
  keepAlive?: string;
}

/** A chat completion request. */
export interface ChatRequest extends LlmCallOptions {
  messages: ChatMessage[];
}

/** A single-prompt completion request. */
export interface GenerateRequest extends LlmCallOptions {
  prompt: string;
  /** System prompt, replacing the model's default. */
  system?: string;
}

/** What a finished text call produced. */
export interface LlmResult {
  /** The whole generated text (all deltas concatenated). */
  text: string;
  /** The model that answered. */
  model: string;
  /** Prompt tokens as counted by the model server. */
  promptTokens: number;
  /** Generated tokens as counted by the model server. */
  completionTokens: number;
  /** Why generation stopped, e.g. `stop` or `length` (hit `maxTokens`). */
  doneReason: string;
  /** Server-side wall time of the call. */
  totalDurationMs: number;
}

/** An embedding request: one vector per input string. */
export interface EmbedRequest {
  input: string[];
  /** Overrides the client's embedding model for this call. */
  model?: string;
  signal?: AbortSignal;
}

/** Vectors in the order of the inputs. */
export interface EmbedResult {
  embeddings: number[][];
  model: string;
}

/** Receives model token usage; the metrics layer implements it, adapters only call it. */
export interface TokenCounter {
  add(model: string, role: 'prompt' | 'completion', n: number): void;
}

/** The LLM port: what capability code uses to talk to a model, whatever serves it. */
export interface LlmClient {
  /** Provider name, e.g. `ollama`. */
  readonly provider: string;
  /** Default model of text calls. */
  readonly model: string;
  chat(req: ChatRequest): Promise<LlmResult>;
  generate(req: GenerateRequest): Promise<LlmResult>;
  embed(req: EmbedRequest): Promise<EmbedResult>;
  /** Ready only when the server answers, the model exists and it is loaded (warm). */
  readiness(): DependencyCheck;
  /** Loads the model so the first real call does not pay the load time. */
  warmUp(signal?: AbortSignal): Promise<void>;
}

/**
 * The embedder port: turns texts into fixed-length vectors for the vector store. An embedder's
 * `name` identifies the vector space; vectors from differently named embedders must never be
 * compared, so a store keeps one embedder for its whole life.
 */
export interface Embedder {
  /** Identifies the vector space, e.g. `hashing-v1-384` or `ollama:nomic-embed-text`. */
  readonly name: string;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /** One vector per input text, in input order. Honours the signal (model calls are cancelled). */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

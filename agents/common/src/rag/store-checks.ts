import { AgentError } from '../contract/errors.js';
import type { SearchQuery, StoredChunk } from '../ports/vector-store.js';

/** Throws `bad_request` unless the vector has the store's length and only finite values. */
export function assertVector(vector: readonly number[], dimensions: number, what: string): void {
  if (!Array.isArray(vector) || vector.length !== dimensions) {
    throw new AgentError('bad_request', {
      detail: `${what} has ${Array.isArray(vector) ? vector.length : 'no'} dimensions; the store holds ${dimensions}`,
      details: { expected: dimensions },
    });
  }
  if (!vector.every(Number.isFinite)) {
    throw new AgentError('bad_request', { detail: `${what} contains a non-finite value` });
  }
}

/** Checks a batch before any of it is written, so a bad chunk never leaves half a batch behind. */
export function assertStoredChunks(chunks: readonly StoredChunk[], dimensions: number): void {
  for (const c of chunks) {
    if (!c.tenantId || !c.id || !c.documentId) {
      throw new AgentError('bad_request', { detail: 'a chunk needs a tenantId, an id and a documentId' });
    }
    assertVector(c.vector, dimensions, `vector of chunk ${c.id}`);
  }
}

/** Checks a query; resolves the documented edge cases up front. */
export function assertSearchQuery(q: SearchQuery, dimensions: number): void {
  if (!q.tenantId) throw new AgentError('bad_request', { detail: 'a search needs a tenantId' });
  if (!Number.isInteger(q.topK) || q.topK < 1) {
    throw new AgentError('bad_request', { detail: `topK must be a positive integer, got ${q.topK}` });
  }
  assertVector(q.vector, dimensions, 'query vector');
}

/** True when every component is zero: such a vector has no direction, so cosine ranking is undefined. */
export function isZeroVector(vector: readonly number[]): boolean {
  return vector.every((x) => x === 0);
}

/**
 * How many candidates each ranking contributes before fusion: a chunk ranked low by one ranking
 * but high by the other must still be in both lists for fusion to see it.
 */
export function candidatePoolSize(topK: number): number {
  return Math.min(Math.max(topK * 4, 20), 200);
}

/** Settles with the promise, or rejects with the signal's reason once it aborts (the work itself runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(toError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(err));
      },
    );
  });
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

import { hash32, indexTerms } from '../../rag/text-terms.js';

/** A Qdrant sparse vector. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** BM25 term-frequency saturation. */
export const BM25_K1 = 1.2;
/** BM25 length normalization strength. */
export const BM25_B = 0.75;
/**
 * Average chunk length in terms assumed for length normalization. The true average is a
 * collection statistic Qdrant does not expose; chunks are bounded by the chunker's size (about 1200
 * characters, some 120 index terms after stop words), so a constant is a fair stand-in.
 */
export const BM25_AVG_TERMS = 120;

/**
 * The sparse "text" vector of a chunk, for BM25-style full-text ranking in Qdrant. Terms are the
 * shared index terms (folded, stop words dropped, plurals folded), hashed to uint32 indices; each
 * value is BM25's term-frequency part, `tf·(k1+1) / (tf + k1·(1 − b + b·len/avg))`. The IDF part
 * is left to Qdrant: the collection declares the sparse vector with `modifier: 'idf'`, so the server
 * weighs each query term by its document frequency at query time, which a client cannot know.
 */
export function documentSparseVector(text: string): SparseVector {
  const terms = indexTerms(text);
  const tf = countByIndex(terms);
  const lengthNorm = 1 - BM25_B + BM25_B * (terms.length / BM25_AVG_TERMS);
  return toSparse(tf, (f) => (f * (BM25_K1 + 1)) / (f + BM25_K1 * lengthNorm));
}

/** The sparse query vector: weight 1 per distinct query term (Qdrant applies IDF server-side). */
export function querySparseVector(text: string): SparseVector {
  return toSparse(countByIndex(indexTerms(text)), () => 1);
}

function countByIndex(terms: string[]): Map<number, number> {
  const counts = new Map<number, number>();
  // Hash collisions merge two terms into one dimension; at 2^32 buckets that is negligible.
  for (const t of terms) {
    const index = hash32(t);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}

function toSparse(counts: Map<number, number>, weight: (tf: number) => number): SparseVector {
  const indices = [...counts.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => weight(counts.get(i) ?? 0)) };
}

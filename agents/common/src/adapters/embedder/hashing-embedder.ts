import type { Embedder } from '../../ports/embedder.js';
import { hash32, indexTerms } from '../../rag/text-terms.js';

/** Default vector length of {@link createHashingEmbedder}. */
export const HASHING_EMBEDDER_DEFAULT_DIMENSIONS = 384;

/** Options for {@link createHashingEmbedder}. */
export interface HashingEmbedderOptions {
  /** Vector length; defaults to {@link HASHING_EMBEDDER_DEFAULT_DIMENSIONS}. */
  dimensions?: number;
}

// Relative weight of each feature family after per-family normalization: words decide, bigrams
// reward shared phrasing, character trigrams give partial credit for morphology and typos.
const FAMILY_WEIGHTS = { word: 1, bigram: 0.5, trigram: 0.5 } as const;
type Family = keyof typeof FAMILY_WEIGHTS;

// Distinct seeds so the bucket and the sign of a feature are independent hashes.
const SIGN_SEED = 0x9747b28c;

/**
 * A built-in embedder that needs no model: feature hashing ("the hashing trick") of word
 * unigrams, word bigrams and character trigrams into a fixed number of dimensions, with a signed
 * hash so collisions cancel out on average instead of piling up, sublinear term frequency
 * (`1 + ln tf`) and L2 normalization, so cosine similarity is meaningful.
 *
 * It is a lexical embedder: texts are close when they share words, phrases or word fragments, not
 * when they mean the same thing in different words ("car" and "automobile" are unrelated to it).
 * It is deterministic and stable across processes, which makes it the default when no embedding
 * model is configured and a reproducible embedder for tests. Its `name` carries the algorithm
 * version and the dimensions, so vectors from a different configuration are never mixed.
 */
export function createHashingEmbedder(opts: HashingEmbedderOptions = {}): Embedder {
  const dimensions = opts.dimensions ?? HASHING_EMBEDDER_DEFAULT_DIMENSIONS;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 65_536) {
    throw new RangeError(`hashing embedder dimensions must be an integer in [8, 65536], got ${dimensions}`);
  }
  return {
    name: `hashing-v1-${dimensions}`,
    dimensions,
    embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
      return new Promise((resolve) => {
        signal?.throwIfAborted();
        resolve(texts.map((text) => hashingVector(text, dimensions)));
      });
    },
  };
}

/** The hashing embedding of one text (see {@link createHashingEmbedder}); all zeros for a text without terms. */
export function hashingVector(text: string, dimensions: number): number[] {
  const terms = indexTerms(text);
  const families: Record<Family, Map<string, number>> = {
    word: countFeatures(terms),
    bigram: countFeatures(terms.slice(1).map((t, i) => `${terms[i] ?? ''} ${t}`)),
    trigram: countFeatures(terms.flatMap(charTrigrams)),
  };
  const out = new Float64Array(dimensions);
  for (const family of Object.keys(families) as Family[]) {
    const partial = new Float64Array(dimensions);
    for (const [feature, tf] of families[family]) {
      const key = `${family}:${feature}`;
      const bucket = hash32(key) % dimensions;
      const sign = hash32(key, SIGN_SEED) & 1 ? -1 : 1;
      partial[bucket] = (partial[bucket] ?? 0) + sign * (1 + Math.log(tf));
    }
    const norm = l2(partial);
    if (norm === 0) continue;
    const scale = FAMILY_WEIGHTS[family] / norm;
    for (let i = 0; i < dimensions; i++) out[i] = (out[i] ?? 0) + (partial[i] ?? 0) * scale;
  }
  const norm = l2(out);
  return Array.from(out, (v) => (norm === 0 ? 0 : v / norm));
}

function countFeatures(features: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  return counts;
}

/** Trigrams of the word padded with boundary marks, so prefixes and suffixes count as such. */
function charTrigrams(word: string): string[] {
  const padded = `<${word}>`;
  const grams: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3));
  return grams;
}

function l2(v: Float64Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

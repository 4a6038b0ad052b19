import { describe, expect, it } from 'vitest';
import { createHashingEmbedder, hashingVector } from './hashing-embedder.js';

const cosine = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe('hashing embedder', () => {
  const embedder = createHashingEmbedder();

  it('declares its dimensions and a versioned name', () => {
    expect(embedder.dimensions).toBe(384);
    expect(embedder.name).toBe('hashing-v1-384');
    expect(createHashingEmbedder({ dimensions: 64 }).name).toBe('hashing-v1-64');
  });

  it('returns one unit-length vector per text, deterministically, with signed components', async () => {
    const [a, b, again] = await embedder.embed([
      'rotate the TLS certificates',
      'bake bread',
      'rotate the TLS certificates',
    ]);
    expect(a).toHaveLength(384);
    expect(cosine(a ?? [], a ?? [])).toBeCloseTo(1, 10);
    expect(again).toEqual(a);
    expect(a?.some((x) => x < 0)).toBe(true);
    expect(a?.some((x) => x > 0)).toBe(true);
    expect(b).not.toEqual(a);
  });

  it('places texts sharing words closer than unrelated texts', async () => {
    const [q, near, far] = await embedder.embed([
      'how do I rotate TLS certificates',
      'Certificates for TLS are rotated every 90 days by the renewal job',
      'The bakery sells sourdough bread on weekends',
    ]);
    expect(cosine(q ?? [], near ?? [])).toBeGreaterThan(cosine(q ?? [], far ?? []) + 0.2);
  });

  it('gives partial credit to morphological variants through character trigrams', () => {
    const base = hashingVector('configuration', 384);
    // Words differ, so only the trigram family (weight 0.5 of 1.25) can contribute.
    expect(cosine(base, hashingVector('configure', 384))).toBeGreaterThan(0.08);
    expect(Math.abs(cosine(base, hashingVector('sandwich', 384)))).toBeLessThan(0.04);
  });

  it('rewards shared word order through bigrams', () => {
    const q = hashingVector('connection pool size', 384);
    const same = hashingVector('the connection pool size is limited', 384);
    const shuffled = hashingVector('the size pool connection is limited', 384);
    expect(cosine(q, same)).toBeGreaterThan(cosine(q, shuffled));
  });

  it('maps a text without terms to the zero vector', () => {
    expect(hashingVector('the of and', 32).every((x) => x === 0)).toBe(true);
    expect(hashingVector('', 32)).toHaveLength(32);
  });

  it('rejects bad dimensions and an aborted signal', async () => {
    expect(() => createHashingEmbedder({ dimensions: 4 })).toThrow(RangeError);
    expect(() => createHashingEmbedder({ dimensions: 10.5 })).toThrow(RangeError);
    await expect(embedder.embed(['x'], AbortSignal.abort())).rejects.toThrow();
  });
});

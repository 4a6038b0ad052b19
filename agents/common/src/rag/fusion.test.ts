import { describe, expect, it } from 'vitest';
import { DEFAULT_RRF_K, reciprocalRankFusion } from './fusion.js';

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over the rankings an id appears in and reports each rank', () => {
    const fused = reciprocalRankFusion([
      { name: 'vector', ids: ['a', 'b', 'c'] },
      { name: 'text', ids: ['c', 'a'] },
    ]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b']);
    expect(fused[0]?.score).toBeCloseTo(1 / (DEFAULT_RRF_K + 1) + 1 / (DEFAULT_RRF_K + 2), 12);
    expect(fused[0]?.ranks).toEqual({ vector: 1, text: 2 });
    expect(fused[2]?.ranks).toEqual({ vector: 2 });
  });

  it('puts an id ranked by both lists above one ranked first by a single list', () => {
    const fused = reciprocalRankFusion([
      { name: 'vector', ids: ['solo', 'both'] },
      { name: 'text', ids: ['x', 'both'] },
    ]);
    expect(fused[0]?.id).toBe('both');
  });

  it('honours k and limit', () => {
    const fused = reciprocalRankFusion([{ name: 'v', ids: ['a', 'b', 'c'] }], { k: 0, limit: 2 });
    expect(fused.map((f) => [f.id, f.score])).toEqual([
      ['a', 1],
      ['b', 0.5],
    ]);
  });

  it('breaks ties deterministically by best rank, then id, and counts a repeated id once', () => {
    const fused = reciprocalRankFusion([
      { name: 'v', ids: ['b', 'a', 'b'] },
      { name: 't', ids: ['a', 'b'] },
    ]);
    // Both score 1/61 + 1/62; equal best ranks, so ids decide.
    expect(fused.map((f) => f.id)).toEqual(['a', 'b']);
    expect(fused[1]?.ranks).toEqual({ v: 1, t: 2 });
  });

  it('returns [] for no rankings and rejects a negative k', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(() => reciprocalRankFusion([], { k: -1 })).toThrow(RangeError);
  });
});

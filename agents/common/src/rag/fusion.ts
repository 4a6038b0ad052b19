/** The `k` of Cormack et al.'s reciprocal rank fusion paper; it damps the weight of top ranks. */
export const DEFAULT_RRF_K = 60;

/** One ranking to fuse: ids best first, under a name that keys the ranks of the result. */
export interface RankedList {
  readonly name: string;
  readonly ids: readonly string[];
}

/** One fused entry. */
export interface FusedItem {
  id: string;
  /** Sum over the rankings the id appears in of `1 / (k + rank)`. */
  score: number;
  /** 1-based rank of the id in each ranking it appears in, keyed by ranking name. */
  ranks: Record<string, number>;
}

/** Options for {@link reciprocalRankFusion}. */
export interface FusionOptions {
  /** Rank damping constant; defaults to {@link DEFAULT_RRF_K}. */
  k?: number;
  /** Keep at most this many items. */
  limit?: number;
}

/**
 * Reciprocal rank fusion: merges rankings whose scores are not comparable (cosine distances,
 * ts_rank values) by rank alone. Ties are broken by the best single rank, then by id, so the
 * output is deterministic.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], opts: FusionOptions = {}): FusedItem[] {
  const k = opts.k ?? DEFAULT_RRF_K;
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`RRF k must be a finite number >= 0, got ${k}`);
  const byId = new Map<string, FusedItem & { bestRank: number }>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.ids.forEach((id, index) => {
      // A ranking that repeats an id only counts its best position.
      if (seen.has(id)) return;
      seen.add(id);
      const rank = index + 1;
      const item = byId.get(id) ?? { id, score: 0, ranks: {}, bestRank: rank };
      item.score += 1 / (k + rank);
      item.ranks[list.name] = rank;
      item.bestRank = Math.min(item.bestRank, rank);
      byId.set(id, item);
    });
  }
  const fused = [...byId.values()].sort(
    (a, b) => b.score - a.score || a.bestRank - b.bestRank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const limited = opts.limit === undefined ? fused : fused.slice(0, Math.max(0, opts.limit));
  return limited.map(({ id, score, ranks }) => ({ id, score, ranks }));
}

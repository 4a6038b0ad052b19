import type { Citation, Passage } from './generate-schema.js';
import { MAX_QUOTE_CHARS } from './citations.js';
import { contentWords, splitSentences, termSet, truncateAtWord } from '@sutazai/agent-kit';

/** Most sentences an extractive answer quotes. */
export const MAX_EXTRACT_SENTENCES = 3;

/** A candidate must score at least this fraction of the best one, so weak matches do not pad the answer. */
export const MIN_RELATIVE_SCORE = 0.5;

/** A candidate whose stems are mostly (this fraction) in the sentences already chosen adds nothing. */
const NEAR_DUPLICATE = 0.8;

/** An answer built from passage sentences, and its pieces in streaming order (joined, they are the answer). */
export interface ExtractiveAnswer {
  answer: string;
  pieces: string[];
  citations: Citation[];
}

interface Candidate {
  passage: Passage;
  passageIndex: number;
  sentenceIndex: number;
  text: string;
  terms: Set<string>;
  score: number;
}

/** The sentence followed by its citation, the marker before the final punctuation: `… stack [README.md#2].` */
export function citeSentence(sentence: string, chunkId: string): string {
  const m = /([.!?\u2026]+["'\u201d\u2019)]*)$/.exec(sentence);
  return m
    ? `${sentence.slice(0, m.index).trimEnd()} [${chunkId}]${m[1] ?? ''}`
    : `${sentence} [${chunkId}].`;
}

/**
 * Whether a sentence reads as prose worth quoting: not a table row, heading or code line, and not
 * the cut-off tail of a chunk (a passage's last sentence must end like one).
 */
export function isProse(sentence: string, last: boolean): boolean {
  const t = sentence.trim();
  if (/^(\||#{1,6}\s|```|~~~|<)/.test(t) || (t.match(/\|/g)?.length ?? 0) >= 2) return false;
  if (t.split(/\s+/).length < 4) return false;
  return !last || /[.!?\u2026]["'\u201d\u2019)`*]*$/.test(t);
}

function candidates(passages: readonly Passage[], question: Set<string>): Candidate[] {
  const all: Omit<Candidate, 'score'>[] = [];
  passages.forEach((passage, passageIndex) => {
    const sentences = splitSentences(passage.text);
    sentences.forEach((raw, sentenceIndex) => {
      if (!isProse(raw, sentenceIndex === sentences.length - 1)) return;
      const text = truncateAtWord(raw, MAX_QUOTE_CHARS);
      all.push({ passage, passageIndex, sentenceIndex, text, terms: termSet(text) });
    });
  });
  // A question word found in few sentences says more about which sentence answers than a common one.
  const weight = new Map<string, number>();
  for (const t of question) {
    const df = all.filter((c) => c.terms.has(t)).length;
    weight.set(t, Math.log(1 + all.length / Math.max(1, df)));
  }
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const out: Candidate[] = [];
  for (const c of all) {
    const hits = [...question].filter((t) => c.terms.has(t));
    if (hits.length === 0 && question.size > 0) continue;
    const matched = hits.reduce((sum, t) => sum + (weight.get(t) ?? 0), 0);
    // Weighted coverage of the question first, focus (share of the sentence on topic) next, retriever rank last.
    const score =
      (total > 0 ? matched / total : 0) +
      (c.terms.size ? 0.5 * (hits.length / c.terms.size) : 0) +
      0.05 * (1 - c.passageIndex / passages.length);
    out.push({ ...c, score });
  }
  return out;
}

function choose(all: Candidate[], question: Set<string>): Candidate[] {
  if (question.size === 0) return all.slice(0, 1); // nothing to match on: the top passage's first sentence
  const ranked = [...all].sort(
    (a, b) => b.score - a.score || a.passageIndex - b.passageIndex || a.sentenceIndex - b.sentenceIndex,
  );
  const best = ranked[0]?.score ?? 0;
  const chosen: Candidate[] = [];
  const covered = new Set<string>();
  for (const c of ranked) {
    if (chosen.length >= MAX_EXTRACT_SENTENCES || c.score < best * MIN_RELATIVE_SCORE) break;
    let known = 0;
    for (const t of c.terms) if (covered.has(t)) known++;
    if (chosen.length > 0 && c.terms.size > 0 && known / c.terms.size >= NEAR_DUPLICATE) continue;
    chosen.push(c);
    for (const t of c.terms) covered.add(t);
  }
  return chosen.sort((a, b) => a.passageIndex - b.passageIndex || a.sentenceIndex - b.sentenceIndex);
}

/**
 * An answer made of the passages' own sentences, with no model: sentences scored by the question's
 * content stems they contain (rarer stems weigh more), the best few (near-duplicates skipped) put back in
 * source order, each followed by its `[chunk_id]`. With no passages, or none sharing a content word
 * with the question, the answer says that no source covers the question, and cites nothing.
 */
export function extractiveAnswer(question: string, passages: readonly Passage[]): ExtractiveAnswer {
  const q = termSet(question);
  const chosen = choose(candidates(passages, q), q);
  if (chosen.length === 0) {
    const topic = contentWords(question).slice(0, 5).join(', ');
    const answer =
      passages.length === 0
        ? 'No source covers this question: no passages were given.'
        : `No source covers this question: none of the ${passages.length} given passages mentions ${topic || 'its terms'}.`;
    return { answer, pieces: [answer], citations: [] };
  }
  const pieces = chosen.map((c, i) => `${i === 0 ? '' : ' '}${citeSentence(c.text, c.passage.chunk_id)}`);
  const citations = chosen.map((c) => ({
    chunk_id: c.passage.chunk_id,
    source: c.passage.source,
    quote: c.text,
  }));
  return { answer: pieces.join(''), pieces, citations };
}

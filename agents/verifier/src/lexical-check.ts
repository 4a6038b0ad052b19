import { citedIds, stripMarkers } from '@sutazai/agent-kit';
import { contentWords, foldText, splitSentences, stem, termSet, truncateAtWord } from '@sutazai/agent-kit';
import type { Passage, SentenceCheck, VerifyInput } from './verify-schema.js';

/**
 * A sentence is supported when at least this share of its distinct content stems occurs in the
 * passage(s) it cites (or, uncited, in one passage), and every number in it occurs there too. 0.6
 * lets a paraphrase change or add a word or two per sentence while an invented fact (a new name, a
 * wrong port) leaves too many words or a number unmatched.
 */
export const SUPPORT_THRESHOLD = 0.6;

/**
 * An answer that says no source covers the question is wrong when some passage holds at least this
 * share of the question's content stems: the answer was there to be given.
 */
export const ABSTENTION_COVERAGE = 0.5;

const ABSTENTION = new RegExp(
  [
    String.raw`\bno (?:given |provided |relevant )?(?:source|passage|document|context|information)s?\b[^.]*?\b(?:cover|mention|contain|answer|say|state|provide|address|describe|explain)`,
    String.raw`\b(?:passages|sources|documents|context)\b[^.]*?\b(?:do|does) not (?:cover|mention|contain|answer|say|state|provide|address|include|describe|explain)`,
    String.raw`\bnot (?:covered|mentioned|stated|found|addressed|described|explained) (?:in|by) (?:the|any) (?:given |provided )?(?:sources?|passages?|documents?|context)`,
    String.raw`\b(?:cannot|can't|can not|unable to) (?:answer|find|determine|tell)`,
    String.raw`\bi (?:do not|don't) know\b`,
    String.raw`\bthere is no (?:information|mention)\b`,
  ].join('|'),
  'i',
);

/** True when a sentence says the sources do not answer the question (an abstention, not a claim). */
export function isAbstention(sentence: string): boolean {
  return ABSTENTION.test(sentence);
}

/** The lexical verdict on an answer. */
export interface LexicalReport {
  verdict: 'pass' | 'fail';
  score: number;
  reasons: string[];
  sentences: SentenceCheck[];
  unknown_citations: string[];
  /** Sentences that state something about the topic (not abstentions, not filler): what a model judge could check. */
  claims: number;
}

function quoteOf(sentence: string): string {
  return `"${truncateAtWord(sentence, 120)}"`;
}

function normalized(text: string): string {
  return foldText(text)
    .replace(/(?:\u2026|\.\.\.)\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function list(ids: readonly string[]): string {
  return ids.map((id) => `[${id}]`).join(', ');
}

/** Checks answers against one set of passages; one instance per request. */
class LexicalChecker {
  private readonly byId = new Map<string, Passage>();
  private readonly terms = new Map<string, Set<string>>();
  readonly known: Set<string>;
  readonly problems: string[] = [];
  readonly notes: string[] = [];

  constructor(private readonly input: VerifyInput) {
    for (const p of input.passages) if (!this.byId.has(p.chunk_id)) this.byId.set(p.chunk_id, p);
    this.known = new Set(this.byId.keys());
  }

  private termsOf(id: string): Set<string> {
    let t = this.terms.get(id);
    if (!t) {
      t = termSet(this.byId.get(id)?.text ?? '');
      this.terms.set(id, t);
    }
    return t;
  }

  /** Citations naming no passage, from the citation list and from the answer's markers. */
  unknownCitations(): string[] {
    const unknown = new Set<string>();
    for (const c of this.input.citations) if (!this.known.has(c.chunk_id)) unknown.add(c.chunk_id);
    for (const id of citedIds(this.input.answer, this.known).unknown) unknown.add(id);
    for (const id of unknown) this.problems.push(`Citation [${id}] names no given passage.`);
    return [...unknown];
  }

  /** Quotes attributed to a passage must occur in it. */
  checkQuotes(): void {
    for (const c of this.input.citations) {
      const passage = this.byId.get(c.chunk_id);
      if (!passage || !c.quote?.trim()) continue;
      if (!normalized(passage.text).includes(normalized(c.quote))) {
        this.problems.push(
          `The quote given for [${c.chunk_id}] (${quoteOf(c.quote)}) does not appear in that passage.`,
        );
      }
    }
  }

  /** One sentence: an abstention, filler (nothing to check) or a claim checked against its passages. */
  sentence(text: string, n: number): SentenceCheck & { claim: boolean } {
    const ids = citedIds(text, this.known);
    const body = stripMarkers(text, this.known);
    if (ids.known.length === 0 && isAbstention(body))
      return { ...this.abstention(text, n, ids.known), claim: false };
    const terms = termSet(body);
    if (terms.size === 0)
      return { text, supported: true, chunk_ids: ids.known, overlap: 0, checked: false, claim: false };
    if (ids.known.length === 0 && ids.unknown.length > 0) {
      this.problems.push(
        `Sentence ${n} (${quoteOf(text)}) cites only ${list(ids.unknown)}, which names no given passage.`,
      );
      return { text, supported: false, chunk_ids: [], overlap: 0, checked: true, claim: true };
    }
    let pool: Set<string>;
    let against: string;
    let closest: string | undefined;
    if (ids.known.length > 0) {
      pool = new Set(ids.known.flatMap((id) => [...this.termsOf(id)]));
      against = list(ids.known);
    } else {
      closest = this.closest(terms)?.id;
      pool = closest ? this.termsOf(closest) : new Set();
      against = closest ? `any passage (closest: [${closest}])` : 'any passage (none were given)';
    }
    const found = [...terms].filter((t) => pool.has(t));
    const overlap = found.length / terms.size;
    const numbers = [...terms].filter((t) => /\d/.test(t) && !pool.has(t));
    const supported = overlap >= SUPPORT_THRESHOLD && numbers.length === 0;
    if (!supported) {
      const written = new Map(contentWords(body).map((w) => [stem(w), w] as const));
      const missing = [...terms].filter((t) => !pool.has(t)).map((t) => written.get(t) ?? t);
      const why = numbers.length
        ? `${numbers.map((t) => written.get(t) ?? t).join(', ')} does not occur there`
        : `only ${found.length} of ${terms.size} content words occur there (missing: ${missing.slice(0, 8).join(', ')})`;
      this.problems.push(`Sentence ${n} (${quoteOf(text)}) is not supported by ${against}: ${why}.`);
    } else if (closest) {
      this.notes.push(`Sentence ${n} has no citation; passage [${closest}] supports it.`);
    }
    return { text, supported, chunk_ids: ids.known, overlap: round(overlap), checked: true, claim: true };
  }

  /** The passage sharing the most of `terms` (the first of equals), and how many it shares. */
  private closest(terms: Set<string>): { id: string; hits: number } | undefined {
    let best: { id: string; hits: number } | undefined;
    for (const id of this.known) {
      const pool = this.termsOf(id);
      const hits = [...terms].filter((t) => pool.has(t)).length;
      if (!best || hits > best.hits) best = { id, hits };
    }
    return best;
  }

  private abstention(text: string, n: number, chunkIds: string[]): SentenceCheck {
    const question = termSet(this.input.question);
    const best = this.closest(question);
    const coverage = best && question.size ? best.hits / question.size : 0;
    if (best && coverage >= ABSTENTION_COVERAGE) {
      this.problems.push(
        `Sentence ${n} (${quoteOf(text)}) says no source covers the question, but passage [${best.id}] contains ${best.hits} of its ${question.size} content words.`,
      );
      return { text, supported: false, chunk_ids: chunkIds, overlap: 0, checked: true };
    }
    this.notes.push(
      this.known.size === 0
        ? `Sentence ${n} says no source covers the question, and no passages were given.`
        : `Sentence ${n} says no source covers the question; no passage contains half of the question's content words.`,
    );
    return { text, supported: true, chunk_ids: chunkIds, overlap: 0, checked: true };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The lexical check of an answer: every citation must name a given passage (and its quote occur
 * there); every sentence that states something must be supported (see {@link SUPPORT_THRESHOLD});
 * a "no source covers this" answer passes only when no passage covers the question (see
 * {@link ABSTENTION_COVERAGE}), which always holds when no passages were given. An empty answer, or
 * one with nothing to check, fails. The score is the supported share of the checked sentences.
 */
export function checkLexically(input: VerifyInput): LexicalReport {
  const checker = new LexicalChecker(input);
  const unknown = checker.unknownCitations();
  checker.checkQuotes();
  if (!/[\p{L}\p{N}]/u.test(stripMarkers(input.answer, checker.known))) {
    return {
      verdict: 'fail',
      score: 0,
      reasons: ['The answer is empty.', ...checker.problems],
      sentences: [],
      unknown_citations: unknown,
      claims: 0,
    };
  }
  const all = splitSentences(input.answer).map((s, i) => checker.sentence(s, i + 1));
  const checked = all.filter((s) => s.checked);
  const supported = checked.filter((s) => s.supported).length;
  const score = checked.length ? round(supported / checked.length) : 0;
  if (checked.length === 0)
    checker.problems.push('The answer states nothing that can be checked against the passages.');
  const pass = checker.problems.length === 0;
  const summary = pass
    ? `All ${checked.length} checked sentence(s) are supported by the passages (at least ${SUPPORT_THRESHOLD * 100}% of content words, every number).`
    : `${supported} of ${checked.length} checked sentence(s) are supported.`;
  return {
    verdict: pass ? 'pass' : 'fail',
    score,
    reasons: [...checker.problems, summary, ...checker.notes],
    sentences: all.map(({ claim: _claim, ...s }) => s),
    unknown_citations: unknown,
    claims: all.filter((s) => s.claim).length,
  };
}

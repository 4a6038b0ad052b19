/**
 * Lexical normalization shared by the hashing embedder and the Qdrant sparse encoder, so that
 * both see the same terms: Unicode-folded, lower-cased words with English stop words dropped and a
 * light plural stemmer applied.
 */

/** Common English function words; they carry no topic and would dominate term statistics. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most my ' +
    'myself no nor not now of off on once only or other our ours ourselves out over own same she should so ' +
    'some such than that the their theirs them themselves then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;
const COMBINING_MARKS = /\p{M}+/gu;
const SIBILANT_PLURAL = /(?:sses|xes|zzes|ches|shes)$/;

/** Lower-cases and strips diacritics (`Café` → `cafe`), so spelling variants meet. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
}

/** The folded words of a text, in order, stop words included. */
export function words(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

/**
 * Plural folding after Harman's "S" stemmer, with sibilant plurals added (`queries` → `query`,
 * `indexes` → `index`, `classes` → `class`, `tokens` → `token`) and nothing else. Aggressive
 * stemmers conflate unrelated words; plural folding is the part that nearly always helps retrieval.
 */
export function stemPlural(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && !word.endsWith('eies') && !word.endsWith('aies'))
    return `${word.slice(0, -3)}y`;
  if (SIBILANT_PLURAL.test(word)) return word.slice(0, -2);
  if (word.endsWith('es') && !word.endsWith('aes') && !word.endsWith('ees') && !word.endsWith('oes')) {
    return word.slice(0, -1);
  }
  if (word.endsWith('s') && !word.endsWith('us') && !word.endsWith('ss') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

/** The index terms of a text, in order: folded words minus stop words, plural-stemmed. */
export function indexTerms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (ENGLISH_STOP_WORDS.has(w)) continue;
    out.push(stemPlural(w));
  }
  return out;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units, then the murmur3 finalizer for avalanche. Stable
 * across processes and releases: stored vectors depend on it.
 */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Lexical analysis of answers and passages: sentence splitting, content words and a light suffix
 * stemmer, so that "configured" in an answer meets "configure" in a passage. Both sides of every
 * comparison go through the same functions, so over-eager conflation costs little and misses
 * (configure ≠ configured) would cost a lot.
 */

/** English function words and question words: they carry no topic. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are aren as at be because been before being ' +
    'below between both but by can cannot could couldn did didn do does doesn doing don down during each ' +
    'either etc few for from further had hadn has hasn have haven having he her here hers herself him himself ' +
    'his how however i if in into is isn it its itself just let me more most much must my myself no nor not ' +
    'now of off on once one only or other ought our ours ourselves out over own per please same shall she ' +
    'should shouldn so some such than that the their theirs them themselves then there therefore these they ' +
    'this those though through thus to too under until up upon us very via was wasn we were weren what ' +
    'whatever when where whether which while who whom whose why will with within without won would wouldn ' +
    'yes yet you your yours yourself yourselves'
  ).split(' '),
);

// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS = new Set([
  'e.g',
  'i.e',
  'etc',
  'vs',
  'cf',
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'inc',
  'ltd',
  'no',
  'fig',
  'al',
  'approx',
  'resp',
]);

const WORD = /[\p{L}\p{N}_]+/gu;
const COMBINING_MARKS = /\p{M}+/gu;
// Sentence-final punctuation (with closing quotes/brackets) that is followed by whitespace.
const BOUNDARY = /[.!?\u2026]+["'\u201d\u2019)\]]*(?=\s)/g;
// Bullets, numbered-list markers and heading hashes at the start of a line.
const LINE_MARKER = /^\s*(?:[-*+\u2022]|\d{1,3}[.)]|#{1,6})\s+/;
const CODE_FENCE = /^\s*(?:```|~~~)/;

/** Lower-cases and strips diacritics (`Café` → `cafe`). */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
}

/** The folded words of a text, in order, stop words included. */
export function words(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

/**
 * A light English suffix stemmer: plurals (`queries` → `query`), `-ing`/`-ed` (with the doubled
 * consonant undone: `stopped` → `stop`), `-ly`, and a final `e`, so `configure`, `configured` and
 * `configuring` all become `configur`. Words with digits are left alone: `v2` or `11003` are names.
 */
export function stem(word: string): string {
  if (/\d/.test(word)) return word;
  let w = word;
  if (w.length <= 3) return w.length === 3 && w.endsWith('e') ? w.slice(0, -1) : w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:sses|xes|ches|shes|zzes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed']) {
    const base = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && base.length >= 2 && /[aeiouy]/.test(base)) {
      w = /([^aeiouylsz])\1$/.test(base) ? base.slice(0, -1) : base;
      break;
    }
  }
  if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length >= 3) w = w.slice(0, -1);
  return w;
}

/** The stems of a text's content words, in order (stop words and one-letter words dropped; digits kept). */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOP_WORDS.has(w) || (w.length < 2 && !/\d/.test(w))) continue;
    out.push(stem(w));
  }
  return out;
}

/** The distinct stems of a text's content words. */
export function termSet(text: string): Set<string> {
  return new Set(contentTerms(text));
}

/** Content words of a text as written (folded, not stemmed), distinct, in first-seen order. */
export function contentWords(text: string): string[] {
  const seen = new Set<string>();
  for (const w of words(text)) if (!STOP_WORDS.has(w) && (w.length >= 2 || /\d/.test(w))) seen.add(w);
  return [...seen];
}

function isAbbreviation(before: string, punctuation: string): boolean {
  if (!punctuation.startsWith('.') || punctuation.startsWith('..')) return false;
  const token = /(\S+)$/.exec(before)?.[1]?.toLowerCase() ?? '';
  const bare = token.replace(/^[("'[]+/, '');
  return ABBREVIATIONS.has(bare) || /^\p{L}$/u.test(bare);
}

/** Splits one line at sentence boundaries, keeping abbreviations (`e.g.`) and initials together. */
function lineSentences(line: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const m of line.matchAll(BOUNDARY)) {
    if (isAbbreviation(line.slice(start, m.index), m[0])) continue;
    const end = m.index + m[0].length;
    out.push(line.slice(start, end).trim());
    start = end;
  }
  out.push(line.slice(start).trim());
  return out.filter((s) => s !== '');
}

// A run of bracketed markers at the start of a sentence, e.g. "[a#1] [b#2] ".
const LEADING_MARKERS = /^(?:\[[^[\]\s]+\]\s*)+/;

/**
 * Splits text into sentences: at line breaks (list markers, heading hashes and code fences dropped)
 * and at sentence-final punctuation followed by whitespace, but not after abbreviations or initials.
 * Citation markers written after the full stop (`… stack. [README.md#2]`) stay with their sentence.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n+/)) {
    if (CODE_FENCE.test(raw)) continue;
    const line = raw.replace(LINE_MARKER, '').trim();
    if (line === '') continue;
    for (let sentence of lineSentences(line)) {
      const lead = LEADING_MARKERS.exec(sentence)?.[0];
      if (lead && out.length > 0) {
        out[out.length - 1] = `${out[out.length - 1] ?? ''} ${lead.trim()}`;
        sentence = sentence.slice(lead.length).trim();
      }
      if (sentence === '') continue;
      if (!/[\p{L}\p{N}]/u.test(sentence) && out.length > 0) {
        out[out.length - 1] = `${out[out.length - 1] ?? ''}${sentence}`;
        continue;
      }
      out.push(sentence);
    }
  }
  return out;
}

/** Cuts text to at most `max` characters at a word boundary, marking the cut with `…`. */
export function truncateAtWord(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, Math.max(1, max - 1));
  const space = cut.search(/\s\S*$/);
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}\u2026`;
}

/**
 * Citation markers in answer text: bracketed chunk ids such as `[README.md#2]`, or several in one
 * bracket (`[a#1, b#2]`). A bracket counts as a citation when each of its parts is a known chunk id
 * or looks like one (no spaces, two characters or more); prose in brackets (`[see below]`), markdown
 * links (`[text](url)`) and checkboxes (`[x]`) are left alone.
 */

// Bracketed text not followed by "(" (a markdown link).
const BRACKET = /\[([^[\]\n]{1,300})\](?!\()/g;
const SEPARATOR = /\s*[,;]\s*/;

/** One citation marker found in a text. */
export interface Marker {
  /** The marker as written, brackets included. */
  raw: string;
  /** Offset of `raw` in the text. */
  index: number;
  /** Cited ids that name a known passage. */
  known: string[];
  /** Cited ids that name no known passage. */
  unknown: string[];
}

function looksLikeId(part: string): boolean {
  return part.length >= 2 && !/\s/.test(part);
}

/** The citation markers of a text, in order; `known` decides which ids name a given passage. */
export function findMarkers(text: string, known: ReadonlySet<string>): Marker[] {
  const out: Marker[] = [];
  for (const m of text.matchAll(BRACKET)) {
    const inner = (m[1] ?? '').trim();
    const parts = known.has(inner) ? [inner] : inner.split(SEPARATOR).filter((p) => p !== '');
    if (parts.length === 0 || !parts.every((p) => known.has(p) || looksLikeId(p))) continue;
    out.push({
      raw: m[0],
      index: m.index,
      known: parts.filter((p) => known.has(p)),
      unknown: parts.filter((p) => !known.has(p)),
    });
  }
  return out;
}

/** The text with its citation markers removed (whitespace before a marker goes with it). */
export function stripMarkers(text: string, known: ReadonlySet<string>): string {
  let out = '';
  let at = 0;
  for (const m of findMarkers(text, known)) {
    out += text.slice(at, m.index).replace(/[ \t]+$/, '');
    at = m.index + m.raw.length;
  }
  return (out + text.slice(at)).trim();
}

/** Distinct ids cited in a text: those naming known passages and the others, each in first-seen order. */
export function citedIds(text: string, known: ReadonlySet<string>): { known: string[]; unknown: string[] } {
  const k = new Set<string>();
  const u = new Set<string>();
  for (const m of findMarkers(text, known)) {
    for (const id of m.known) k.add(id);
    for (const id of m.unknown) u.add(id);
  }
  return { known: [...k], unknown: [...u] };
}

import { findMarkers, stripMarkers } from '@sutazai/agent-kit';
import type { Citation, Passage } from './generate-schema.js';
import { splitSentences, termSet, truncateAtWord } from '@sutazai/agent-kit';

/** Longest quote a citation carries. */
export const MAX_QUOTE_CHARS = 300;

/**
 * The sentence of a passage that best matches a claim: the most of the claim's content stems, ties
 * to the shorter and then the earlier sentence; the passage's first sentence when none shares a
 * stem. Cut to {@link MAX_QUOTE_CHARS}.
 */
export function bestQuote(claim: string, passageText: string): string {
  const wanted = termSet(claim);
  let best: { text: string; hits: number } | undefined;
  for (const sentence of splitSentences(passageText)) {
    let hits = 0;
    for (const t of termSet(sentence)) if (wanted.has(t)) hits++;
    if (!best || hits > best.hits || (hits === best.hits && hits > 0 && sentence.length < best.text.length)) {
      best = { text: sentence, hits };
    }
  }
  return truncateAtWord(best?.text ?? passageText, MAX_QUOTE_CHARS);
}

/** The citations of an answer and the ids it cites that name no given passage. */
export interface CitedAnswer {
  citations: Citation[];
  unknown: string[];
}

/**
 * Reads the `[chunk_id]` markers of an answer: each marker naming a given passage becomes a
 * citation whose quote is the passage sentence best matching the citing sentence (one citation per
 * distinct chunk and quote, in order of appearance); the other ids are returned as unknown.
 */
export function citeAnswer(answer: string, passages: readonly Passage[]): CitedAnswer {
  const byId = new Map<string, Passage>();
  for (const p of passages) if (!byId.has(p.chunk_id)) byId.set(p.chunk_id, p);
  const known = new Set(byId.keys());
  const citations: Citation[] = [];
  const seen = new Set<string>();
  const unknown = new Set<string>();
  for (const sentence of splitSentences(answer)) {
    const markers = findMarkers(sentence, known);
    if (markers.length === 0) continue;
    const claim = stripMarkers(sentence, known);
    for (const m of markers) {
      for (const id of m.unknown) unknown.add(id);
      for (const id of m.known) {
        const passage = byId.get(id);
        if (!passage) continue;
        const quote = bestQuote(claim, passage.text);
        const key = `${id}\u0000${quote}`;
        if (seen.has(key)) continue;
        seen.add(key);
        citations.push({ chunk_id: id, source: passage.source, quote });
      }
    }
  }
  return { citations, unknown: [...unknown] };
}

import type { Block } from './markdown-sections.js';

/** A piece ready for packing: no longer than the chunk size unless it is one unsplittable token run. */
export interface Unit {
  text: string;
  kind: 'text' | 'code';
  /** Separator used when this unit follows another in the same chunk. */
  join: string;
}

// Sentence ends (with closing quotes/brackets) followed by space, or a line break.
const SENTENCE_BOUNDARY = /[.!?\u2026]+["'\u201d\u2019)\]]*\s+|\n+/g;
const WORD_BOUNDARY = /\s+/g;
const SPLIT_LEVELS = [SENTENCE_BOUNDARY, WORD_BOUNDARY] as const;

/**
 * Turns a block into units no longer than `maxChars` where possible. Pieces of a split paragraph
 * leave room for `overlapChars`, so the chunk that continues a paragraph can repeat its context.
 */
export function blockUnits(block: Block, maxChars: number, overlapChars = 0): Unit[] {
  if (block.text.length <= maxChars) return [{ text: block.text, kind: block.kind, join: '\n\n' }];
  if (block.kind === 'code') return codeUnits(block.text, maxChars);
  const pieceMax = Math.max(maxChars - overlapChars - 1, Math.ceil(maxChars / 2));
  return splitText(block.text, pieceMax, 0).map((text, i) => ({
    text,
    kind: 'text',
    join: i === 0 ? '\n\n' : ' ',
  }));
}

/**
 * Splits text into contiguous trimmed pieces of at most `maxChars`, at sentence boundaries first
 * and word boundaries next; a run with no boundary is returned whole.
 */
export function splitText(text: string, maxChars: number, level = 0): string[] {
  const trimmed = text.trim();
  if (trimmed.length <= maxChars) return trimmed === '' ? [] : [trimmed];
  const boundary = SPLIT_LEVELS[level];
  if (boundary === undefined) return [trimmed];
  const pieces: string[] = [];
  let current = '';
  for (const segment of segments(trimmed, boundary)) {
    if ((current + segment).trim().length <= maxChars) {
      current += segment;
      continue;
    }
    if (current.trim() !== '') pieces.push(current.trim());
    current = '';
    if (segment.trim().length > maxChars) pieces.push(...splitText(segment, maxChars, level + 1));
    else current = segment;
  }
  if (current.trim() !== '') pieces.push(current.trim());
  return pieces;
}

/**
 * The last at most `maxChars` of a text, starting at a sentence start when there is one, else at
 * a word start; empty when no clean start exists (the overlap never begins mid-word).
 */
export function tailOverlap(text: string, maxChars: number): string {
  if (maxChars <= 0) return '';
  const tail = text.slice(-maxChars);
  if (tail.length === text.length) return text.trim();
  SENTENCE_BOUNDARY.lastIndex = 0;
  const sentence = SENTENCE_BOUNDARY.exec(tail);
  if (sentence && tail.length - (sentence.index + sentence[0].length) >= maxChars / 3) {
    return tail.slice(sentence.index + sentence[0].length).trim();
  }
  const space = /\s/.exec(tail);
  return space ? tail.slice(space.index + 1).trim() : '';
}

/** Splits a too-long fenced code block at line boundaries, re-fencing each piece so it stays valid. */
function codeUnits(text: string, maxChars: number): Unit[] {
  const lines = text.split('\n');
  const open = lines[0] ?? '```';
  const fenceMark = /^ {0,3}(`{3,}|~{3,})/.exec(open)?.[1] ?? '```';
  const last = lines[lines.length - 1] ?? '';
  const closed =
    lines.length > 1 && last.trim().startsWith(fenceMark[0] ?? '`') && last.trim().length >= fenceMark.length;
  const close = closed ? last : fenceMark;
  const body = lines.slice(1, closed ? -1 : undefined);
  const budget = Math.max(1, maxChars - open.length - close.length - 2);
  const pieces: string[] = [];
  let current: string[] = [];
  let size = -1;
  const flush = (): void => {
    if (current.length > 0) pieces.push(current.join('\n'));
    current = [];
    size = -1;
  };
  for (const line of body) {
    const parts = line.length > budget ? splitText(line, budget, 1) : [line];
    for (const part of parts) {
      if (size + 1 + part.length > budget) flush();
      current.push(part);
      size += 1 + part.length;
    }
  }
  flush();
  return pieces.map((inner) => ({ text: `${open}\n${inner}\n${close}`, kind: 'code', join: '\n\n' }));
}

function segments(text: string, boundary: RegExp): string[] {
  const out: string[] = [];
  let start = 0;
  boundary.lastIndex = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    const end = m.index + m[0].length;
    if (end > start) out.push(text.slice(start, end));
    start = end;
    if (m[0].length === 0) boundary.lastIndex++;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

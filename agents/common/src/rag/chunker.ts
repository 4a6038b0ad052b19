import type { Chunk } from '../ports/vector-store.js';
import { markdownSections, plainSections } from './markdown-sections.js';
import type { Section } from './markdown-sections.js';
import { blockUnits, tailOverlap } from './text-split.js';
import type { Unit } from './text-split.js';

/** Default upper bound of a chunk's length in characters. */
export const DEFAULT_CHUNK_MAX_CHARS = 1200;
/** Default length of the text a chunk repeats from the previous chunk of its section. */
export const DEFAULT_CHUNK_OVERLAP_CHARS = 150;

/** A document to cut into chunks. */
export interface ChunkableDocument {
  id: string;
  tenantId: string;
  source: string;
  text: string;
  /** Absent: Markdown when the source ends in `.md`, `.markdown` or `.mdx`, plain text otherwise. */
  contentType?: 'text/markdown' | 'text/plain';
  /** Copied onto every chunk. */
  metadata?: Record<string, string>;
}

/** Options for {@link chunkDocument}. */
export interface ChunkOptions {
  /** Upper bound of a chunk's length; only a single run of text without whitespace may exceed it. */
  maxChars?: number;
  /** How much of the previous chunk of the same section a chunk repeats, so no sentence loses its context. */
  overlapChars?: number;
}

// An overlap shorter than this carries no context worth the duplication.
const MIN_OVERLAP_CHARS = 20;

/**
 * Cuts a document into chunks for retrieval. Markdown is split at its headings (ATX and setext)
 * first, and no chunk spans two sections; each chunk carries its heading path (`Setup > Install`).
 * Paragraphs and fenced code blocks are packed whole while they fit; a longer paragraph is split
 * at sentence, then word boundaries, a longer code block at line boundaries (each piece re-fenced).
 * Consecutive chunks of one section overlap by up to `overlapChars`, starting at a sentence or
 * word start. Chunk ids are `${doc.id}#${ordinal}`, stable for the same text and options.
 */
export function chunkDocument(doc: ChunkableDocument, opts: ChunkOptions = {}): Chunk[] {
  const maxChars = opts.maxChars ?? DEFAULT_CHUNK_MAX_CHARS;
  const overlapChars = opts.overlapChars ?? DEFAULT_CHUNK_OVERLAP_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < 50) {
    throw new RangeError(`maxChars must be an integer >= 50, got ${maxChars}`);
  }
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars > maxChars / 2) {
    throw new RangeError(`overlapChars must be an integer in [0, maxChars / 2], got ${overlapChars}`);
  }
  const text = doc.text.replace(/\r\n?/g, '\n');
  if (text.trim() === '') return [];
  const sections = isMarkdown(doc) ? markdownSections(text) : plainSections(text);

  const chunks: Chunk[] = [];
  for (const section of sections) {
    for (const body of packSection(section, maxChars, overlapChars)) {
      const ordinal = chunks.length;
      const chunk: Chunk = {
        id: `${doc.id}#${ordinal}`,
        documentId: doc.id,
        tenantId: doc.tenantId,
        source: doc.source,
        ordinal,
        text: body,
      };
      if (section.heading !== undefined) chunk.heading = section.heading;
      if (doc.metadata !== undefined) chunk.metadata = { ...doc.metadata };
      chunks.push(chunk);
    }
  }
  return chunks;
}

/**
 * The text to embed for a chunk: its heading path, then its text. A continuation chunk's text does
 * not repeat the heading, and the heading is often what a question names.
 */
export function chunkEmbeddingText(chunk: Pick<Chunk, 'heading' | 'text'>): string {
  return chunk.heading === undefined ? chunk.text : `${chunk.heading}\n\n${chunk.text}`;
}

function isMarkdown(doc: ChunkableDocument): boolean {
  if (doc.contentType !== undefined) return doc.contentType === 'text/markdown';
  return /\.(?:md|markdown|mdx)$/i.test(doc.source);
}

/** Greedy packing of a section's units into chunk texts, with overlap between consecutive chunks. */
function packSection(section: Section, maxChars: number, overlapChars: number): string[] {
  const units = section.blocks.flatMap((block) => blockUnits(block, maxChars, overlapChars));
  const out: string[] = [];
  let current = '';
  let last: Unit | undefined;
  for (const unit of units) {
    if (current !== '' && current.length + unit.join.length + unit.text.length <= maxChars) {
      current += unit.join + unit.text;
      last = unit;
      continue;
    }
    if (current !== '') out.push(current);
    const previous = current;
    current = unit.text;
    // A code block's tail would open the next chunk with half a program and a dangling fence.
    if (previous !== '' && last?.kind === 'text') {
      const room = Math.min(
        overlapChars,
        Math.floor(previous.length / 2),
        maxChars - unit.text.length - unit.join.length,
      );
      const overlap = room >= MIN_OVERLAP_CHARS ? tailOverlap(previous, room) : '';
      if (overlap.length >= MIN_OVERLAP_CHARS) current = overlap + unit.join + unit.text;
    }
    last = unit;
  }
  if (current !== '') out.push(current);
  return out;
}

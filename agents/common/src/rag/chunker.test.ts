import { describe, expect, it } from 'vitest';
import { chunkDocument, chunkEmbeddingText } from './chunker.js';
import type { ChunkableDocument } from './chunker.js';

const doc = (text: string, extra: Partial<ChunkableDocument> = {}): ChunkableDocument => ({
  id: 'doc-1',
  tenantId: 't1',
  source: 'guide.md',
  text,
  ...extra,
});

/** Deterministic prose: numbered sentences of about 60 characters. */
const sentences = (n: number, topic = 'cluster'): string =>
  Array.from({ length: n }, (_, i) => `Sentence ${i + 1} explains how the ${topic} behaves under load.`).join(
    ' ',
  );

describe('chunkDocument', () => {
  it('returns [] for empty or blank input', () => {
    expect(chunkDocument(doc(''))).toEqual([]);
    expect(chunkDocument(doc('  \n\n\t \r\n'))).toEqual([]);
  });

  it('splits Markdown at ATX and setext headings and carries the heading path', () => {
    const text = [
      'Intro paragraph before any heading.',
      '',
      '# Setup',
      'Read this first.',
      '',
      '## Install',
      'Run the installer.',
      '',
      '### Linux',
      'Use the package.',
      '',
      '## Configure',
      'Edit the file.',
      '',
      'Usage',
      '=====',
      'Call the API.',
      '',
      'Details',
      '-------',
      'More about usage.',
    ].join('\n');
    const chunks = chunkDocument(doc(text));
    expect(chunks.map((c) => [c.heading, c.text.split('\n').at(-1)])).toEqual([
      [undefined, 'Intro paragraph before any heading.'],
      ['Setup', 'Read this first.'],
      ['Setup > Install', 'Run the installer.'],
      ['Setup > Install > Linux', 'Use the package.'],
      ['Setup > Configure', 'Edit the file.'],
      ['Usage', 'Call the API.'],
      ['Usage > Details', 'More about usage.'],
    ]);
    expect(chunks.map((c) => c.id)).toEqual(chunks.map((_, i) => `doc-1#${i}`));
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    expect(
      chunks.every((c) => c.documentId === 'doc-1' && c.tenantId === 't1' && c.source === 'guide.md'),
    ).toBe(true);
  });

  it('never puts text of two sections in one chunk, even when both would fit', () => {
    const chunks = chunkDocument(doc('# A\nalpha text\n# B\nbeta text'), { maxChars: 1000 });
    expect(chunks).toHaveLength(2);
    expect(chunks[0]?.text).not.toContain('beta');
    expect(chunks[1]?.text).toContain('beta');
  });

  it('skips sections that hold only their heading and ignores # lines inside code fences', () => {
    const text = ['# Top', '## Empty', '## Code', '```sh', '# not a heading', 'echo hi', '```'].join('\n');
    const chunks = chunkDocument(doc(text));
    expect(chunks.map((c) => c.heading)).toEqual(['Top > Code']);
    expect(chunks[0]?.text).toContain('# not a heading');
  });

  it('keeps a fenced code block whole when it fits', () => {
    const code = [
      '```ts',
      ...Array.from({ length: 12 }, (_, i) => `const value${i} = compute(${i});`),
      '```',
    ].join('\n');
    const text = `# Example\n\n${sentences(6)}\n\n${code}\n\n${sentences(6, 'cache')}`;
    const chunks = chunkDocument(doc(text), { maxChars: 500, overlapChars: 100 });
    const holders = chunks.filter((c) => c.text.includes('const value0'));
    expect(holders).toHaveLength(1);
    expect(holders[0]?.text).toContain(code);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(500);
  });

  it('splits a code block longer than a chunk at lines, re-fencing every piece', () => {
    const code = [
      '```python',
      ...Array.from({ length: 40 }, (_, i) => `print("line number ${i} of the program")`),
      '```',
    ].join('\n');
    const chunks = chunkDocument(doc(`# Big\n\n${code}`), { maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(1);
    const codeChunks = chunks.filter((c) => c.text.includes('print('));
    for (const c of codeChunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      const fenceLines = c.text.split('\n').filter((l) => l.startsWith('```'));
      expect(fenceLines.length % 2).toBe(0);
    }
    const printed = codeChunks.flatMap((c) => c.text.split('\n').filter((l) => l.startsWith('print(')));
    expect(printed).toHaveLength(40);
  });

  it('keeps every chunk within maxChars, splitting long paragraphs at sentences with overlap', () => {
    const text = `# Long\n\n${sentences(60)}`;
    const chunks = chunkDocument(doc(text), { maxChars: 400, overlapChars: 120 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(400);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]?.text ?? '';
      const next = chunks[i]?.text ?? '';
      // The overlap is a suffix of the previous chunk that starts at a sentence start.
      const firstSentence = /^Sentence \d+ [^.]*\./.exec(next)?.[0] ?? '';
      expect(firstSentence).not.toBe('');
      expect(prev).toContain(firstSentence);
      expect(next.length).toBeGreaterThan(firstSentence.length);
    }
    // Nothing is lost: every sentence appears somewhere.
    for (let i = 1; i <= 60; i++)
      expect(chunks.some((c) => c.text.includes(`Sentence ${i} explains`))).toBe(true);
  });

  it('does not overlap across headings', () => {
    const text = `# One\n\n${sentences(12)}\n\n# Two\n\n${sentences(3, 'queue')}`;
    const chunks = chunkDocument(doc(text), { maxChars: 300, overlapChars: 100 });
    const firstOfTwo = chunks.find((c) => c.heading === 'Two');
    expect(firstOfTwo?.text.startsWith('# Two')).toBe(true);
    expect(firstOfTwo?.text).not.toContain('cluster');
  });

  it('splits a sentence longer than a chunk at words, and leaves an unsplittable run whole', () => {
    const longSentence = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const token = 'x'.repeat(250);
    const chunks = chunkDocument(doc(`${longSentence}\n\n${token}`, { source: 'notes.txt' }), {
      maxChars: 100,
      overlapChars: 0,
    });
    const oversized = chunks.filter((c) => c.text.length > 100);
    expect(oversized.map((c) => c.text)).toEqual([token]);
    expect(chunks.filter((c) => c.text.startsWith('word')).length).toBeGreaterThan(3);
  });

  it('treats plain text as paragraphs, never as headings', () => {
    const text = '# not a heading in plain text\n\nSecond paragraph.\n\nThird paragraph.';
    const chunks = chunkDocument(doc(text, { contentType: 'text/plain' }), { maxChars: 60, overlapChars: 0 });
    expect(chunks.every((c) => c.heading === undefined)).toBe(true);
    // Paragraphs that fit together are packed into one chunk.
    expect(chunks.map((c) => c.text)).toEqual([
      '# not a heading in plain text\n\nSecond paragraph.',
      'Third paragraph.',
    ]);
  });

  it('infers Markdown from the source name when no content type is given', () => {
    expect(chunkDocument(doc('# Title\nbody', { source: 'README.markdown' }))[0]?.heading).toBe('Title');
    expect(chunkDocument(doc('# Title\nbody', { source: 'notes.txt' }))[0]?.heading).toBeUndefined();
  });

  it('cleans inline Markdown out of headings and skips YAML front matter as a heading source', () => {
    const text = '---\ntitle: x\n---\n\n# Using `npm` with [the registry](https://example.invalid)\nbody';
    const chunks = chunkDocument(doc(text));
    expect(chunks.map((c) => c.heading)).toEqual([undefined, 'Using npm with the registry']);
  });

  it('copies metadata, is stable across runs and normalizes CRLF', () => {
    const a = chunkDocument(doc('# A\r\nline one\r\n\r\nline two', { metadata: { lang: 'en' } }));
    const b = chunkDocument(doc('# A\nline one\n\nline two', { metadata: { lang: 'en' } }));
    expect(a).toEqual(b);
    expect(a[0]?.metadata).toEqual({ lang: 'en' });
  });

  it('rejects nonsensical options', () => {
    expect(() => chunkDocument(doc('x'), { maxChars: 10 })).toThrow(RangeError);
    expect(() => chunkDocument(doc('x'), { maxChars: 100, overlapChars: 60 })).toThrow(RangeError);
  });
});

describe('chunkEmbeddingText', () => {
  it('prefixes the heading path when there is one', () => {
    expect(chunkEmbeddingText({ heading: 'Setup > Install', text: 'Run it.' })).toBe(
      'Setup > Install\n\nRun it.',
    );
    expect(chunkEmbeddingText({ text: 'Run it.' })).toBe('Run it.');
  });
});

import { describe, expect, it } from 'vitest';
import { citedIds, findMarkers, stripMarkers } from '@sutazai/agent-kit';
import { bestQuote, citeAnswer, MAX_QUOTE_CHARS } from './citations.js';
import { Passage } from './generate-schema.js';

const known = new Set(['README.md#2', 'docs/a b.md#0', 'b#1']);

describe('citation markers', () => {
  it('finds bracketed ids, known or id-like, and skips prose, links and checkboxes', () => {
    const text =
      'Run it [README.md#2]. See [docs/a b.md#0] and [b#1, zz#9]; [see below], [x], [1], [link](http://x) [nope#3].';
    const markers = findMarkers(text, known);
    expect(markers.map((m) => [m.known, m.unknown])).toEqual([
      [['README.md#2'], []],
      [['docs/a b.md#0'], []],
      [['b#1'], ['zz#9']],
      [[], ['nope#3']],
    ]);
    expect(citedIds(text, known)).toEqual({
      known: ['README.md#2', 'docs/a b.md#0', 'b#1'],
      unknown: ['zz#9', 'nope#3'],
    });
  });

  it('strips markers with the space before them', () => {
    expect(stripMarkers('Run npm start [README.md#2]. Done [b#1][zz#9].', known)).toBe(
      'Run npm start. Done.',
    );
  });
});

describe('citeAnswer', () => {
  const passages = [
    Passage.parse({
      chunk_id: 'README.md#2',
      source: 'README.md',
      text: 'Node 20 is required. Run npm start to launch the stack on one machine. The console listens on port 10011.',
    }),
    Passage.parse({ chunk_id: 'b#1', source: 'b.md', text: 'Tests run with npm test.' }),
  ];

  it('turns known markers into citations quoting the best-matching passage sentence, and reports unknown ids', () => {
    const answer =
      'Launch the stack with npm start [README.md#2]. The console uses port 10011. [README.md#2] Tests: npm test [b#1][ghost#0].';
    const { citations, unknown } = citeAnswer(answer, passages);
    expect(citations).toEqual([
      {
        chunk_id: 'README.md#2',
        source: 'README.md',
        quote: 'Run npm start to launch the stack on one machine.',
      },
      { chunk_id: 'README.md#2', source: 'README.md', quote: 'The console listens on port 10011.' },
      { chunk_id: 'b#1', source: 'b.md', quote: 'Tests run with npm test.' },
    ]);
    expect(unknown).toEqual(['ghost#0']);
  });

  it('cites nothing when the answer has no markers, and one citation per chunk and quote', () => {
    expect(citeAnswer('No source covers this question.', passages)).toEqual({ citations: [], unknown: [] });
    const twice = citeAnswer('Run npm start [README.md#2]. Really, run npm start [README.md#2].', passages);
    expect(twice.citations).toHaveLength(1);
  });

  it('keeps quotes within the limit', () => {
    const long = `${'word '.repeat(200)}end.`;
    expect(bestQuote('word', long).length).toBeLessThanOrEqual(MAX_QUOTE_CHARS);
    expect(bestQuote('nothing shared', 'First one. Second one.')).toBe('First one.');
  });
});

import { describe, expect, it } from 'vitest';
import { bestQuote, citeAnswer, MAX_QUOTE_CHARS } from './citations.js';
import { Passage } from './generate-schema.js';

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

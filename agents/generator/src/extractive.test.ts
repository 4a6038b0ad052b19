import { describe, expect, it } from 'vitest';
import { citeSentence, extractiveAnswer, MAX_EXTRACT_SENTENCES } from './extractive.js';
import { Passage } from './generate-schema.js';

const passages = [
  Passage.parse({
    chunk_id: 'README.md#0',
    source: 'README.md',
    text: 'SutazAI runs agents. Run npm start to launch the stack. Grafana shows dashboards.',
  }),
  Passage.parse({
    chunk_id: 'ops.md#3',
    source: 'ops.md',
    text: 'The stack starts with the embedded backends when REDIS_URL is unset. Logs are JSON.',
  }),
];

describe('extractiveAnswer', () => {
  it('quotes the sentences that best match the question, in source order, each with its [chunk_id]', () => {
    const out = extractiveAnswer('How do I start the stack?', passages);
    expect(out.answer).toBe(
      'Run npm start to launch the stack [README.md#0]. The stack starts with the embedded backends when REDIS_URL is unset [ops.md#3].',
    );
    expect(out.pieces.join('')).toBe(out.answer);
    expect(out.pieces).toHaveLength(2);
    expect(out.citations).toEqual([
      { chunk_id: 'README.md#0', source: 'README.md', quote: 'Run npm start to launch the stack.' },
      {
        chunk_id: 'ops.md#3',
        source: 'ops.md',
        quote: 'The stack starts with the embedded backends when REDIS_URL is unset.',
      },
    ]);
  });

  it('quotes at most a few sentences and skips near-duplicates', () => {
    const same = Array.from({ length: 6 }, (_, i) =>
      Passage.parse({
        chunk_id: `p${i}`,
        text: i % 2 ? 'Redis stores the queue.' : `Redis stores queue item ${i}.`,
      }),
    );
    const out = extractiveAnswer('Where does Redis store the queue?', same);
    expect(out.citations.length).toBeLessThanOrEqual(MAX_EXTRACT_SENTENCES);
    expect(new Set(out.citations.map((c) => c.quote)).size).toBe(out.citations.length);
    expect(out.answer).toContain('Redis stores the queue [p1].');
  });

  it('says that no source covers the question when no passage shares a word with it', () => {
    expect(extractiveAnswer('What is the Kafka topic?', passages)).toEqual({
      answer: 'No source covers this question: none of the 2 given passages mentions kafka, topic.',
      pieces: ['No source covers this question: none of the 2 given passages mentions kafka, topic.'],
      citations: [],
    });
    expect(extractiveAnswer('What is the Kafka topic?', []).answer).toBe(
      'No source covers this question: no passages were given.',
    );
  });

  it('puts the marker before the final punctuation', () => {
    expect(citeSentence('Is it on?', 'a')).toBe('Is it on [a]?');
    expect(citeSentence('No punctuation', 'a')).toBe('No punctuation [a].');
  });
});

describe('isProse', () => {
  it('keeps sentences and drops table rows, headings, code and cut-off tails', async () => {
    const { isProse } = await import('./extractive.js');
    expect(isProse('When the queue is full the agent answers 503.', true)).toBe(true);
    expect(isProse('| `AGENT_NAME` | the agent name | used in metrics |', false)).toBe(false);
    expect(isProse('## Queues and limits here', false)).toBe(false);
    expect(isProse('```sh npm start now', false)).toBe(false);
    expect(isProse('it sheds load it cannot serve in', true)).toBe(false);
    expect(isProse('it sheds load it cannot serve in', false)).toBe(true);
    expect(isProse('Too short.', false)).toBe(false);
  });
});

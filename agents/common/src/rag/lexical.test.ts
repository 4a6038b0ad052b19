import { describe, expect, it } from 'vitest';
import { contentTerms, contentWords, splitSentences, stem, truncateAtWord } from './lexical.js';

describe('stem', () => {
  it.each([
    [['configure', 'configured', 'configuring', 'configures'], 'configur'],
    [['start', 'starts', 'started', 'starting'], 'start'],
    [['stop', 'stopped', 'stopping'], 'stop'],
    [['query', 'queries'], 'query'],
    [['index', 'indexes'], 'index'],
    [['process', 'processes', 'processing'], 'process'],
    [['install', 'installed'], 'install'],
    [['use', 'uses', 'used', 'using'], 'us'],
    [['cache', 'caches', 'cached', 'caching'], 'cach'],
  ])('folds %j to one stem', (forms, expected) => {
    expect(forms.map(stem)).toEqual(forms.map(() => expected));
  });

  it('leaves words with digits and short words alone', () => {
    expect(stem('11003')).toBe('11003');
    expect(stem('v2s')).toBe('v2s');
    expect(stem('npm')).toBe('npm');
    expect(stem('status')).toBe('status');
  });
});

describe('content terms', () => {
  it('drops stop words and folds case and accents, keeping numbers', () => {
    expect(contentTerms('What is the port of the Café service? It is 11003.')).toEqual([
      'port',
      'caf',
      'servic',
      '11003',
    ]);
    expect(contentWords('How do I run the tests and the tests later?')).toEqual(['run', 'tests', 'later']);
  });
});

describe('splitSentences', () => {
  it('splits at sentence ends but not after abbreviations, initials or inside file names', () => {
    expect(
      splitSentences('Use a store, e.g. Qdrant or PGlite. J. Smith wrote README.md in 2024! Is it 3.5? Yes.'),
    ).toEqual([
      'Use a store, e.g. Qdrant or PGlite.',
      'J. Smith wrote README.md in 2024!',
      'Is it 3.5?',
      'Yes.',
    ]);
  });

  it('splits lines, drops list markers, headings and code fences', () => {
    expect(
      splitSentences(
        '# Setup\n1. Install Node\n2) Run npm start\n- Open the console\n```bash\nnpm start\n```',
      ),
    ).toEqual(['Setup', 'Install Node', 'Run npm start', 'Open the console', 'npm start']);
  });

  it('keeps citation markers written after the full stop with their sentence', () => {
    expect(splitSentences('Run npm start. [README.md#2] Then open the console. [a#1][b#2]')).toEqual([
      'Run npm start. [README.md#2]',
      'Then open the console. [a#1][b#2]',
    ]);
    expect(splitSentences('Run npm start [README.md#2]. Then run the tests [a#1].')).toEqual([
      'Run npm start [README.md#2].',
      'Then run the tests [a#1].',
    ]);
  });

  it('returns nothing for blank text', () => {
    expect(splitSentences(' \n\n ')).toEqual([]);
  });
});

describe('truncateAtWord', () => {
  it('cuts at a word and marks the cut', () => {
    expect(truncateAtWord('alpha beta gamma delta', 12)).toBe('alpha beta\u2026');
    expect(truncateAtWord('short', 12)).toBe('short');
    expect(truncateAtWord('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}\u2026`);
  });
});

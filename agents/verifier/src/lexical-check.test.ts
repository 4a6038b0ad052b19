import { describe, expect, it } from 'vitest';
import { ABSTENTION_COVERAGE, checkLexically, isAbstention, SUPPORT_THRESHOLD } from './lexical-check.js';
import { VerifyInput } from './verify-schema.js';

const PASSAGES = [
  {
    chunk_id: 'README.md#0',
    source: 'README.md',
    text: 'Run npm start to launch the whole stack on one machine. The console listens on port 10011.',
  },
  {
    chunk_id: 'agents.md#2',
    source: 'agents.md',
    text: 'The generator agent listens on port 11003 and streams tokens.',
  },
];

function check(answer: string, extra: Partial<VerifyInput> = {}) {
  return checkLexically(
    VerifyInput.parse({ question: 'How do I start the stack?', answer, passages: PASSAGES, ...extra }),
  );
}

describe('checkLexically', () => {
  it('passes an answer whose sentences are supported by their cited passages (paraphrase allowed)', () => {
    const r = check(
      'You launch the stack by running npm start [README.md#0]. The generator streams tokens on port 11003. [agents.md#2]',
    );
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(1);
    expect(r.unknown_citations).toEqual([]);
    expect(r.sentences).toEqual([
      {
        text: 'You launch the stack by running npm start [README.md#0].',
        supported: true,
        chunk_ids: ['README.md#0'],
        overlap: 1,
        checked: true,
      },
      {
        text: 'The generator streams tokens on port 11003. [agents.md#2]',
        supported: true,
        chunk_ids: ['agents.md#2'],
        overlap: 1,
        checked: true,
      },
    ]);
    expect(r.reasons[0]).toMatch(/^All 2 checked sentence\(s\) are supported/);
    expect(r.claims).toBe(2);
  });

  it('fails a sentence whose words are not in the cited passage, naming the sentence, the citation and the missing words', () => {
    const r = check(
      'Run npm start to launch the stack [README.md#0]. The stack is written in Rust by volunteers [README.md#0].',
    );
    expect(r.verdict).toBe('fail');
    expect(r.score).toBe(0.5);
    expect(r.sentences[1]).toMatchObject({ supported: false, chunk_ids: ['README.md#0'] });
    expect(r.sentences[1]?.overlap).toBeLessThan(SUPPORT_THRESHOLD);
    expect(r.reasons[0]).toBe(
      'Sentence 2 ("The stack is written in Rust by volunteers [README.md#0].") is not supported by [README.md#0]: only 1 of 4 content words occur there (missing: written, rust, volunteers).',
    );
  });

  it('fails a sentence with a number its passage does not have, even when the words match', () => {
    const r = check('The generator agent listens on port 11004 [agents.md#2].');
    expect(r.verdict).toBe('fail');
    expect(r.sentences[0]?.overlap).toBeGreaterThanOrEqual(SUPPORT_THRESHOLD);
    expect(r.reasons[0]).toContain('11004 does not occur there');
  });

  it('checks uncited sentences against the closest passage and says which supports them', () => {
    const pass = check('The console listens on port 10011.');
    expect(pass.verdict).toBe('pass');
    expect(pass.sentences[0]?.chunk_ids).toEqual([]);
    expect(pass.reasons).toContain('Sentence 1 has no citation; passage [README.md#0] supports it.');
    const fail = check('Kubernetes operators manage everything.');
    expect(fail.verdict).toBe('fail');
    expect(fail.reasons[0]).toContain('is not supported by any passage (closest: [');
  });

  it('fails unknown citations, in the text or in the citation list', () => {
    const r = check('Run npm start to launch the stack [README.md#0][ghost#1].', {
      citations: [{ chunk_id: 'README.md#0' }, { chunk_id: 'phantom#2' }],
    });
    expect(r.verdict).toBe('fail');
    expect(r.unknown_citations).toEqual(['phantom#2', 'ghost#1']);
    expect(r.reasons).toContain('Citation [ghost#1] names no given passage.');
    expect(r.reasons).toContain('Citation [phantom#2] names no given passage.');
    expect(r.sentences[0]?.supported).toBe(true);
    const only = check('Run npm start to launch the stack [ghost#1].');
    expect(only.sentences[0]).toMatchObject({ supported: false, checked: true });
    expect(only.reasons).toContain(
      'Sentence 1 ("Run npm start to launch the stack [ghost#1].") cites only [ghost#1], which names no given passage.',
    );
  });

  it('fails a quote that does not occur in the passage it is attributed to', () => {
    const ok = check('Run npm start [README.md#0].', {
      citations: [
        { chunk_id: 'README.md#0', quote: 'Run npm start to launch the whole\nstack on one\u2026' },
      ],
    });
    expect(ok.verdict).toBe('pass');
    const bad = check('Run npm start [README.md#0].', {
      citations: [{ chunk_id: 'README.md#0', quote: 'Run make up.' }],
    });
    expect(bad.verdict).toBe('fail');
    expect(bad.reasons[0]).toBe(
      'The quote given for [README.md#0] ("Run make up.") does not appear in that passage.',
    );
  });

  it('fails an empty answer and one with nothing to check', () => {
    expect(check('   ')).toMatchObject({
      verdict: 'fail',
      score: 0,
      sentences: [],
      reasons: ['The answer is empty.'],
    });
    expect(check('[README.md#0]')).toMatchObject({ verdict: 'fail', reasons: ['The answer is empty.'] });
    const r = check('Yes. [README.md#0]');
    expect(r).toMatchObject({ verdict: 'fail', score: 0 });
    expect(r.sentences[0]).toMatchObject({ checked: false, supported: true });
    expect(r.reasons[0]).toBe('The answer states nothing that can be checked against the passages.');
  });

  it('ignores filler sentences in the score', () => {
    const r = check('Yes! Run npm start to launch the stack [README.md#0].');
    expect(r).toMatchObject({ verdict: 'pass', score: 1 });
    expect(r.sentences.map((s) => s.checked)).toEqual([false, true]);
  });

  describe('"no source covers" answers', () => {
    const abstain = 'No source covers this question: no passages were given.';

    it('pass when no passages were given', () => {
      const r = check(abstain, { passages: [] });
      expect(r).toMatchObject({ verdict: 'pass', score: 1, claims: 0 });
      expect(r.reasons).toContain(
        'Sentence 1 says no source covers the question, and no passages were given.',
      );
    });

    it("pass when no passage holds the question's terms", () => {
      const r = checkLexically(
        VerifyInput.parse({
          question: 'Which Kafka topic do we use?',
          answer: 'The passages do not mention Kafka.',
          passages: PASSAGES,
        }),
      );
      expect(r.verdict).toBe('pass');
    });

    it(`fail when a passage holds at least ${ABSTENTION_COVERAGE * 100}% of the question's terms`, () => {
      const r = check("I don't know; the sources do not say.");
      expect(r.verdict).toBe('fail');
      expect(r.reasons[0]).toContain(
        'says no source covers the question, but passage [README.md#0] contains 2 of its 2 content words',
      );
    });
  });
});

describe('isAbstention', () => {
  it.each([
    ['No source covers this question.', true],
    ['None of the given passages mention Kafka; no passage covers it.', true],
    ['The provided documents do not contain that information.', true],
    ['This is not covered in the passages.', true],
    ['I cannot answer that from the sources.', true],
    ['Run npm start to launch the stack.', false],
    ['No restart is needed after changing the port.', false],
  ])('%j → %s', (s, expected) => {
    expect(isAbstention(s)).toBe(expected);
  });
});

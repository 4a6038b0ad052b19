import { describe, expect, it } from 'vitest';
import { agreeableJson, groundedAnswer, passagesInPrompt, respond } from './model-profile.js';

const generatorPrompt = [
  'Passages:',
  '',
  'Passage 1 (id: docs/queue.md#1; source: docs/queue.md)',
  'The job queue is a bounded queue of jobs per agent and hands each job to one worker.',
  '',
  'Passage 2 (id: docs/deadline.md#0; source: docs/deadline.md — Deadlines)',
  'A deadline is the time budget of a job; queued jobs past it expire.',
  '',
  'Question: What does the job queue do?',
].join('\n');

describe('passagesInPrompt', () => {
  it('reads the generator’s `(id: …)` layout', () => {
    const found = passagesInPrompt(generatorPrompt);
    expect(found.map((p) => p.id)).toEqual(['docs/queue.md#1', 'docs/deadline.md#0']);
    expect(found[0]?.words.slice(0, 4)).toEqual(['The', 'job', 'queue', 'is']);
  });

  it('falls back to `[id] text` blocks', () => {
    const found = passagesInPrompt('[a#1] alpha beta gamma delta epsilon\n\n[b#2] zeta eta theta iota kappa');
    expect(found).toEqual([
      { id: 'a#1', words: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] },
      { id: 'b#2', words: ['zeta', 'eta', 'theta', 'iota', 'kappa'] },
    ]);
  });
});

describe('groundedAnswer', () => {
  it('copies passage words into sentences that cite the passages', () => {
    const answer = groundedAnswer(generatorPrompt);
    expect(answer).toMatch(
      /^The job queue is a bounded queue .* \[docs\/queue\.md#1\]\. A deadline is .* \[docs\/deadline\.md#0\]\.$/,
    );
  });

  it('says no source covers the question when the prompt lists no passage', () => {
    expect(groundedAnswer('Question: anything?')).toBe('None of the given sources covers this question.');
  });

  it('ignores the citation example of the system prompt', () => {
    const text = respond({
      path: '/api/chat',
      model: 'tinyllama',
      messages: [
        {
          role: 'system',
          content: 'Cite like this: [README.md#2] at the end of every sentence that uses a passage.',
        },
        { role: 'user', content: generatorPrompt },
      ],
    });
    expect(text).not.toContain('README.md#2');
    expect(text).toContain('[docs/queue.md#1]');
  });
});

describe('agreeableJson', () => {
  it('fills a schema with agreeing values: booleans true, required fields present', () => {
    const schema = {
      type: 'object',
      properties: {
        supported: { type: 'boolean' },
        reason: { type: 'string' },
        score: { type: 'number', minimum: 0, maximum: 1 },
      },
      required: ['supported', 'reason', 'score'],
    };
    expect(agreeableJson(schema)).toEqual({
      supported: true,
      reason: 'The cited passage states this.',
      score: 1,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { GenerateInput, Passage } from './generate-schema.js';
import { buildMessages, fitPassages, MIN_PASSAGE_CHARS, systemPrompt, userPrompt } from './prompt.js';

const passage = (id: string, text: string): Passage =>
  Passage.parse({ chunk_id: id, source: `${id}.md`, text });

describe('fitPassages', () => {
  it('keeps short passages whole and shares the rest of the budget among long ones, in order', () => {
    const fitted = fitPassages(
      [passage('a', 'x'.repeat(100)), passage('b', 'word '.repeat(400)), passage('c', 'term '.repeat(400))],
      1000,
    );
    expect(fitted.map((f) => f.passage.chunk_id)).toEqual(['a', 'b', 'c']);
    expect(fitted[0]).toMatchObject({ truncated: false, text: 'x'.repeat(100) });
    for (const f of fitted.slice(1)) {
      expect(f.truncated).toBe(true);
      expect(f.text.length).toBeLessThanOrEqual(450);
      expect(f.text.endsWith('\u2026')).toBe(true);
    }
    expect(fitted.reduce((n, f) => n + f.text.length, 0)).toBeLessThanOrEqual(1000);
  });

  it('leaves out trailing passages that would get less than the minimum share', () => {
    const many = Array.from({ length: 30 }, (_, i) => passage(`p${i}`, 'text '.repeat(100)));
    const fitted = fitPassages(many, 1000);
    expect(fitted).toHaveLength(Math.floor(1000 / MIN_PASSAGE_CHARS));
    expect(fitted[0]?.passage.chunk_id).toBe('p0');
  });
});

describe('prompts', () => {
  it('instructs to answer only from the passages and cite [chunk_id]', () => {
    const system = systemPrompt({});
    expect(system).toMatch(/only the numbered passages/);
    expect(system).toMatch(/square brackets/);
    expect(system).toMatch(/no source covers the question/);
    expect(system).toContain('Be concise.');
    expect(system).not.toContain('Plan to follow');
  });

  it("follows the plan's answer style and steps, and the verifier's feedback", () => {
    const system = systemPrompt({
      plan: {
        answer_style: 'steps',
        steps: [
          { id: 's1', action: 'read', description: 'Read the setup passages', chunk_ids: ['a#0'] },
          { id: 's2', action: 'answer', description: 'Answer as steps', chunk_ids: [] },
        ],
      },
      feedback: ['Sentence 2 is not supported by [a#0].'],
    });
    expect(system).toContain('numbered steps');
    expect(system).toContain('1. read: Read the setup passages (passages a#0)');
    expect(system).toContain('2. answer: Answer as steps');
    expect(system).toContain('failed verification');
    expect(system).toContain('- Sentence 2 is not supported by [a#0].');
  });

  it('ignores a plan of another shape', () => {
    expect(systemPrompt({ plan: { answer_style: 'poem', steps: 'none' } })).toContain('Be concise.');
  });

  it('numbers the passages with their ids and sources, then asks the question', () => {
    const user = userPrompt('  How to start?  ', fitPassages([passage('a#0', 'Run npm start.')], 1000));
    expect(user).toBe(
      'Passages:\n\nPassage 1 (id: a#0; source: a#0.md)\nRun npm start.\n\nQuestion: How to start?',
    );
    const messages = buildMessages(
      GenerateInput.parse({ question: 'q?', passages: [{ chunk_id: 'a', text: 't' }] }),
    );
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
  });
});

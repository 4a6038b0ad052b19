import { describe, expect, it } from 'vitest';
import { classify, keywords, planDeterministically, subQuestions } from './deterministic-planner.js';
import { PlanInput, PlanOutput } from './plan-schema.js';

describe('deterministic planner', () => {
  it.each([
    ['What is a dead-letter queue?', 'definition'],
    ['How do I start the stack?', 'how_to'],
    ['What is the difference between Redis and Postgres?', 'comparison'],
    ['List the ports the agents use', 'list'],
    ['Why does the queue shed load?', 'reason'],
    ['Is Qdrant required?', 'yes_no'],
    ['The retriever port number', 'factual'],
  ])('classifies %j as %s', (q, type) => {
    expect(classify(q)).toBe(type);
  });

  it('extracts content words and splits compound questions', () => {
    expect(keywords('What is the default port of the Backend Mesh?')).toEqual([
      'default',
      'port',
      'backend',
      'mesh',
    ]);
    expect(subQuestions('What is Redis? How is it configured?')).toEqual([
      'What is Redis?',
      'How is it configured?',
    ]);
    expect(subQuestions('Why?')).toEqual(['Why?']);
  });

  it('plans over the passages that mention the key terms', () => {
    const input = PlanInput.parse({
      question: 'How do I configure the Redis URL?',
      context: [
        { chunk_id: 'a#0', source: 'a.md', text: 'Grafana dashboards live in deploy/.' },
        { chunk_id: 'b#0', source: 'b.md', text: 'Set REDIS_URL to a redis:// URL to configure Redis.' },
      ],
    });
    const plan = planDeterministically(input);
    expect(plan.question_type).toBe('how_to');
    expect(plan.answer_style).toBe('steps');
    expect(plan.needs_retrieval).toBe(false);
    expect(plan.steps[0]).toMatchObject({ action: 'read', chunk_ids: ['b#0'] });
    expect(plan.steps.map((s) => s.action)).toEqual(['read', 'enumerate', 'answer', 'verify']);
    expect(plan.steps.map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4']);
    expect(PlanOutput.parse({ plan, planner: 'deterministic' }).plan).toEqual(plan);
  });

  it('asks for retrieval when no passage matches, and respects max_steps', () => {
    const plan = planDeterministically(
      PlanInput.parse({ question: 'Compare A vs B? And what about C? And D?', max_steps: 3 }),
    );
    expect(plan.needs_retrieval).toBe(true);
    expect(plan.steps[0]?.action).toBe('retrieve');
    expect(plan.steps.length).toBe(3);
    expect(plan.steps.at(-1)?.action).toBe('verify');
  });
});

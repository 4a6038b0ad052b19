import type { Plan, PlanInput, PlanStep, QuestionType } from './plan-schema.js';

const STOPWORDS = new Set(
  `a an and are as at be by can could do does did for from has have how i in into is it its me my of on or our
  should so than that the their them then there these they this to was we what when where which who whom whose why
  will with would you your about between vs versus versa please tell explain describe list give show difference
  compare much many there any all`.split(/\s+/),
);

/** Lower-cased content words of a text, in first-seen order, without duplicates. */
export function keywords(text: string, limit = 12): string[] {
  const seen = new Set<string>();
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_'-]*/gu) ?? []) {
    const w = raw.replace(/'s$/, '');
    if (w.length < 2 || STOPWORDS.has(w) || seen.has(w)) continue;
    seen.add(w);
    if (seen.size >= limit) break;
  }
  return [...seen];
}

/** Classifies a question by its form. */
export function classify(question: string): QuestionType {
  const q = question.trim().toLowerCase();
  if (
    /\b(difference|differ|compare|comparison|versus|vs\.?|better than|or)\b.*\?/.test(q) &&
    /\b(difference|differ|compare|comparison|versus|vs\.?|better than)\b/.test(q)
  )
    return 'comparison';
  if (/^(how (do|can|should|to|would)|steps|what steps|walk me)/.test(q)) return 'how_to';
  if (/^(list|name|enumerate|which (are|ones))|\bwhat are (the|all)\b/.test(q)) return 'list';
  if (/^(what is|what's|what are|define|who is|meaning of)\b/.test(q)) return 'definition';
  if (/^(why|what causes|what is the reason)/.test(q)) return 'reason';
  if (/^(is|are|does|do|can|should|will|was|were|has|have)\b/.test(q)) return 'yes_no';
  return 'factual';
}

/** Splits compound questions ("X? And Y?", "X; Y") into parts; a simple question is its own part. */
export function subQuestions(question: string): string[] {
  const parts = question
    .split(/(?<=\?)\s+|;\s+|\s+(?:and also|and then|as well as)\s+/i)
    .map((p) => p.trim())
    .filter((p) => p.length > 3);
  return parts.length > 0 ? parts : [question.trim()];
}

/** Ranks passages by how many question keywords they contain (ties keep the retriever's order). */
export function relevantPassages(input: PlanInput, words: string[], limit: number): string[] {
  return input.context
    .map((p, i) => {
      const text = p.text.toLowerCase();
      const hits = words.filter((w) => text.includes(w)).length;
      return { id: p.chunk_id, hits, i };
    })
    .filter((p) => p.hits > 0)
    .sort((a, b) => b.hits - a.hits || a.i - b.i)
    .slice(0, limit)
    .map((p) => p.id);
}

const STYLE: Record<QuestionType, Plan['answer_style']> = {
  definition: 'short',
  how_to: 'steps',
  comparison: 'paragraph',
  list: 'list',
  yes_no: 'short',
  reason: 'paragraph',
  factual: 'short',
};

/** Builds a plan from the question's form and the passages at hand, with no model. */
export function planDeterministically(input: PlanInput): Plan {
  const type = classify(input.question);
  const words = keywords(input.question);
  const subs = subQuestions(input.question);
  const chunks = relevantPassages(input, words, 8);
  const steps: PlanStep[] = [];
  const add = (action: PlanStep['action'], description: string, chunk_ids: string[] = []): void => {
    steps.push({ id: `s${steps.length + 1}`, action, description, chunk_ids });
  };
  const needsRetrieval = chunks.length === 0;
  if (needsRetrieval)
    add('retrieve', `Find passages about: ${words.slice(0, 6).join(', ') || input.question}`);
  if (chunks.length > 0)
    add('read', `Read the ${chunks.length} passage(s) that mention the key terms`, chunks);
  for (const sub of subs.length > 1 ? subs : [])
    add('read', `Find what the passages say about: ${sub}`, chunks);
  if (type === 'comparison')
    add('compare', `Contrast ${words.slice(0, 2).join(' and ') || 'the items'} point by point`, chunks);
  if (type === 'list' || type === 'how_to') {
    add(
      'enumerate',
      type === 'how_to' ? 'Order the steps as the sources give them' : 'Collect every item the sources name',
      chunks,
    );
  }
  add('answer', `Answer as ${STYLE[type]} text, citing the passages used`, chunks);
  add('verify', 'Check that every claim is supported by a cited passage');
  const maxSteps = input.max_steps;
  const trimmed = steps.length > maxSteps ? [...steps.slice(0, maxSteps - 2), ...steps.slice(-2)] : steps;
  return {
    goal: `Answer: ${input.question.trim()}`,
    question_type: type,
    answer_style: STYLE[type],
    keywords: words,
    sub_questions: subs,
    needs_retrieval: needsRetrieval,
    steps: trimmed.map((s, i) => ({ ...s, id: `s${i + 1}` })),
  };
}

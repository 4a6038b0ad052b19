/**
 * What the bench's model server answers and how fast. The answers are built from the prompt so the
 * pipeline does real work on them: the generator's answer copies words of the passages it was given
 * and cites their ids (so the verifier's grounding check passes), and structured-output requests
 * (a planner or a judge asking for JSON) get a schema-valid object that agrees.
 */
import { exampleOf, tokenize, type FakeOllamaPrompt } from '@sutazai/agent-kit/testing';

/** Latencies of a model server. */
export interface ModelProfile {
  /** Time to first token (prompt evaluation), ms. */
  ttftMs: number;
  /** Time between tokens, ms. */
  tokenDelayMs: number;
}

/**
 * `tinyllama`: roughly tinyllama (1.1B, Q4) on a 2-core CPU with a short RAG prompt — first token
 * after ~300 ms, then ~25 tokens/s. `zero`: no model time at all, so what remains is the platform.
 */
export const MODEL_PROFILES = {
  tinyllama: { ttftMs: 300, tokenDelayMs: 40 },
  zero: { ttftMs: 0, tokenDelayMs: 0 },
} as const satisfies Record<string, ModelProfile>;

/** Name of a {@link MODEL_PROFILES} entry. */
export type ModelProfileName = keyof typeof MODEL_PROFILES;

/** Length of a generated answer, in the fake server's tokens. */
export const ANSWER_TOKENS = 60;

// The generator's layout: `Passage N (id: CHUNK; source: …)` on a line, the passage's text below it.
const LISTED_RE = /\(id:\s*([^\s;)]+)[^\n]*\n([\s\S]*?)(?=\n\n[^\n]*\(id:|\n\nQuestion:|$)/g;
// Any other layout: a bracketed id (no spaces, not a markdown link) followed by its text.
const BRACKETED_RE = /\[([^[\]\s]{2,200})\](?!\()([^[]*?)(?=\n\s*\n|\n?\[[^[\]\s]{2,200}\]|$)/g;

function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? [];
}

/** Passages a prompt lists (as `(id: …)` headers, else as `[id] text`), in order, ids distinct. */
export function passagesInPrompt(text: string): { id: string; words: string[] }[] {
  const out = new Map<string, string[]>();
  for (const re of [LISTED_RE, BRACKETED_RE]) {
    for (const m of text.matchAll(re)) {
      const id = m[1] ?? '';
      const w = words(m[2] ?? '');
      if (!out.has(id) || (out.get(id)?.length ?? 0) < w.length) out.set(id, w);
    }
    if (out.size > 0) break;
  }
  return [...out.entries()].map(([id, w]) => ({ id, words: w }));
}

/** An answer of about `tokens` tokens whose sentences copy passage words and cite the passages. */
export function groundedAnswer(prompt: string, tokens = ANSWER_TOKENS): string {
  const usable = passagesInPrompt(prompt)
    .filter((p) => p.words.length >= 5)
    .slice(0, 2);
  if (usable.length === 0) return 'None of the given sources covers this question.';
  const sentences: string[] = [];
  const perSentence = Math.floor(tokens / usable.length);
  for (const p of usable) {
    const marker = ` [${p.id}].`;
    const budget = Math.max(3, perSentence - tokenize(marker).length);
    const words = p.words.slice(0, budget);
    const first = words[0] ?? '';
    sentences.push(`${first.charAt(0).toUpperCase()}${first.slice(1)} ${words.slice(1).join(' ')}${marker}`);
  }
  return sentences.join(' ');
}

/** A JSON value valid against `schema` that agrees: booleans true, zero numbers 1, text a reason. */
export function agreeableJson(schema: Record<string, unknown>): unknown {
  const agree = (v: unknown): unknown => {
    if (typeof v === 'boolean') return true;
    if (v === 0) return 1;
    if (v === 'text') return 'The cited passage states this.';
    if (Array.isArray(v)) return v.map(agree);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, agree(x)]));
    return v;
  };
  return agree(exampleOf(schema, schema));
}

/** The model server's `respond` hook: JSON for structured output, else a grounded answer. */
export function respond(req: FakeOllamaPrompt): string {
  if (req.format === 'json')
    return JSON.stringify({ supported: true, reason: 'The cited passage states this.' });
  if (typeof req.format === 'object' && req.format !== null) {
    return JSON.stringify(agreeableJson(req.format as Record<string, unknown>));
  }
  // The passages are in the user's turn (the system prompt's citation example is no source).
  const user = (req.messages ?? []).filter((m) => m.role === 'user').map((m) => String(m.content));
  return groundedAnswer([req.prompt ?? '', ...user].join('\n\n'));
}

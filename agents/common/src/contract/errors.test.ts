import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AgentError,
  ERROR_CODES,
  isAgentError,
  nonRetryable,
  toAgentError,
  type ErrorCode,
} from './errors.js';
import { PROBLEM_TYPE_BASE, toProblem } from './problem.js';
import { Problem } from './schemas.js';

/** docs/errors.md, found from this file so the test runs from any working directory. */
const DOC_PATH = fileURLToPath(new URL('../../../../docs/errors.md', import.meta.url));

interface DocSection {
  code: string;
  body: string;
}

/** Splits the doc into its `### \`code\`` sections. */
function docSections(): DocSection[] {
  const text = readFileSync(DOC_PATH, 'utf8');
  const parts = text.split(/^### `([^`]+)`[ \t]*$/m);
  const sections: DocSection[] = [];
  for (let i = 1; i < parts.length; i += 2) sections.push({ code: parts[i] ?? '', body: parts[i + 1] ?? '' });
  return sections;
}

describe('docs/errors.md', () => {
  const sections = docSections();
  const documented = sections.map((s) => s.code);
  const catalogue = Object.keys(ERROR_CODES);

  it('has a section for every code in the catalogue', () => {
    const missing = catalogue.filter((code) => !documented.includes(code));
    expect(
      missing,
      `codes without a \`### \\\`code\\\`\` heading in docs/errors.md: ${missing.join(', ')}`,
    ).toEqual([]);
  });

  it('names no code that no longer exists, and none twice', () => {
    const unknown = documented.filter((code) => !catalogue.includes(code));
    expect(unknown, `docs/errors.md documents unknown codes: ${unknown.join(', ')}`).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('states the status and retryability the catalogue has', () => {
    for (const { code, body } of sections) {
      const spec = ERROR_CODES[code as ErrorCode] as { status: number; retryable: boolean } | undefined;
      if (!spec) continue; // reported by the test above
      const line = /\*\*Status:\*\* (\d{3}) · \*\*Retryable:\*\* (yes|no)/.exec(body);
      expect(line, `section ${code} lacks its "**Status:** NNN · **Retryable:** yes|no" line`).not.toBeNull();
      expect({ code, status: Number(line?.[1]), retryable: line?.[2] === 'yes' }).toEqual({
        code,
        status: spec.status,
        retryable: spec.retryable,
      });
      expect(body, `section ${code} says when it happens and what a client should do`).toMatch(
        /\*\*When:\*\*[\s\S]*\*\*Client:\*\*/,
      );
    }
  });
});

describe('AgentError', () => {
  it('takes status, retryability and message from the catalogue', () => {
    const err = new AgentError('queue_full');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AgentError');
    expect(err.code).toBe('queue_full');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(ERROR_CODES.queue_full.title);
    expect(new AgentError('invalid_input').retryable).toBe(false);
    expect(new AgentError('cancelled').status).toBe(499);
  });

  it('lets a caller override retryability in both directions', () => {
    expect(new AgentError('dependency_failed', { retryable: false }).retryable).toBe(false);
    expect(new AgentError('bad_request', { retryable: true }).retryable).toBe(true);
  });

  it('keeps detail, cause, details, Retry-After and field errors', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new AgentError('dependency_unavailable', {
      detail: 'redis unreachable',
      cause,
      details: { dependency: 'redis' },
      retryAfterS: 5,
      errors: [{ path: 'input.q', message: 'required' }],
    });
    expect(err.message).toBe('redis unreachable');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ dependency: 'redis' });
    expect(err.retryAfterS).toBe(5);
    expect(err.errors).toEqual([{ path: 'input.q', message: 'required' }]);
  });

  it('has no cause when none was given', () => {
    expect('cause' in new AgentError('internal')).toBe(false);
  });
});

describe('nonRetryable', () => {
  it('marks even a normally retryable code as final, keeping detail and cause', () => {
    const cause = new Error('401 from the model server');
    const err = nonRetryable('model_error', 'bad API key', cause);
    expect(err.code).toBe('model_error');
    expect(ERROR_CODES.model_error.retryable).toBe(true);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('bad API key');
    expect(err.cause).toBe(cause);
  });
});

describe('toAgentError', () => {
  it('returns an AgentError as it is', () => {
    const err = new AgentError('tool_denied');
    expect(toAgentError(err)).toBe(err);
    expect(isAgentError(err)).toBe(true);
  });

  it('wraps any other Error as internal, keeping its message and the error as cause', () => {
    const original = new TypeError('x is undefined');
    const err = toAgentError(original);
    expect(isAgentError(err)).toBe(true);
    expect(err.code).toBe('internal');
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('x is undefined');
    expect(err.cause).toBe(original);
  });

  it('wraps thrown non-errors too', () => {
    const err = toAgentError('boom');
    expect(err.code).toBe('internal');
    expect(err.message).toBe('boom');
    expect(err.cause).toBe('boom');
    expect(isAgentError('boom')).toBe(false);
  });
});

describe('toProblem', () => {
  it('maps the code to a problem body that matches the Problem schema', () => {
    const problem = toProblem(new AgentError('unknown_kind'), 'trace-1');
    expect(problem).toEqual({
      type: `${PROBLEM_TYPE_BASE}unknown_kind`,
      title: ERROR_CODES.unknown_kind.title,
      status: 422,
      code: 'unknown_kind',
      trace_id: 'trace-1',
      retryable: false,
    });
    expect(Problem.safeParse(problem).success).toBe(true);
  });

  it('adds detail only when it says more than the title, plus instance, errors and details', () => {
    const err = new AgentError('invalid_input', {
      detail: 'input.q: expected string',
      errors: [{ path: 'input.q', message: 'expected string' }],
      details: { kind: 'plan.create' },
    });
    const problem = toProblem(err, 'trace-2', '/v1/jobs');
    expect(problem.detail).toBe('input.q: expected string');
    expect(problem.title).toBe(ERROR_CODES.invalid_input.title);
    expect(problem.instance).toBe('/v1/jobs');
    expect(problem.errors).toEqual([{ path: 'input.q', message: 'expected string' }]);
    expect((problem as Record<string, unknown>).details).toEqual({ kind: 'plan.create' });
    expect(Problem.safeParse(problem).success).toBe(true);
    expect(toProblem(new AgentError('invalid_input', { errors: [] }), 't')).not.toHaveProperty('errors');
  });

  it('carries an overridden retryability', () => {
    expect(toProblem(nonRetryable('dependency_failed', 'permanent'), 't').retryable).toBe(false);
  });
});

import { ERROR_CODES, type AgentError } from './errors.js';
import type { Problem } from './schemas.js';

/** Media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the `type` URI of each problem; the fragment is the code, documented in docs/errors.md. */
export const PROBLEM_TYPE_BASE = 'https://sutazai.dev/problems/';

/** Maps an AgentError to RFC 9457 problem details. The only place errors become wire bodies. */
export function toProblem(err: AgentError, traceId: string, instance?: string): Problem {
  const problem: Problem = {
    type: PROBLEM_TYPE_BASE + err.code,
    title: ERROR_CODES[err.code].title,
    status: err.status,
    code: err.code,
    trace_id: traceId,
    retryable: err.retryable,
  };
  if (err.message && err.message !== problem.title) problem.detail = err.message;
  if (instance) problem.instance = instance;
  if (err.errors?.length) problem.errors = err.errors;
  if (err.details) Object.assign(problem, { details: err.details });
  return problem;
}

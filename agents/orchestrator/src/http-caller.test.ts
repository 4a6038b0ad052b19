import { AgentError, SCHEMA_VERSION, toProblem, type JobRecord } from '@sutazai/agent-kit';
import { describe, expect, it } from 'vitest';
import { callFailure, childFailure } from './http-caller.js';

function record(status: JobRecord['status'], error?: AgentError): JobRecord {
  return {
    schema: SCHEMA_VERSION,
    job_id: 'child-1',
    agent: 'generator',
    kind: 'generate.answer',
    tenant_id: 'default',
    status,
    input: {},
    attempts: 1,
    max_attempts: 3,
    created_at: new Date(0).toISOString(),
    deadline_at: new Date(1000).toISOString(),
    trace_id: 'a'.repeat(32),
    ...(error ? { error: toProblem(error, 'a'.repeat(32)) } : {}),
  };
}

describe('childFailure', () => {
  it('a failed child → dependency_failed, retryable as the child’s error says, with its problem', () => {
    const permanent = childFailure(
      record('failed', new AgentError('model_error', { detail: 'boom', retryable: false })),
    );
    expect(permanent).toMatchObject({
      code: 'dependency_failed',
      status: 502,
      retryable: false,
      message: 'generator job child-1 failed (model_error: boom)',
    });
    expect(permanent.details).toMatchObject({
      job_id: 'child-1',
      child_error: { code: 'model_error', retryable: false },
    });
    expect(childFailure(record('failed', new AgentError('model_unavailable'))).retryable).toBe(true);
  });

  it('an expired child → deadline_exceeded', () => {
    expect(childFailure(record('expired', new AgentError('deadline_exceeded')))).toMatchObject({
      code: 'deadline_exceeded',
      retryable: false,
      details: { job_id: 'child-1' },
    });
  });

  it('a cancelled child → a non-retryable dependency failure', () => {
    expect(childFailure(record('cancelled'))).toMatchObject({
      code: 'dependency_failed',
      retryable: false,
      message: 'generator job child-1 cancelled (no error recorded)',
    });
  });
});

describe('callFailure', () => {
  it('keeps deadline, unreachable and dependency errors, adding the child job id', () => {
    const unreachable = new AgentError('dependency_unavailable', { detail: 'generator unreachable' });
    expect(callFailure(unreachable, undefined)).toBe(unreachable);
    expect(callFailure(unreachable, 'child-9')).toMatchObject({
      code: 'dependency_unavailable',
      retryable: true,
      details: { job_id: 'child-9' },
    });
    expect(callFailure(new AgentError('deadline_exceeded'), 'c')).toMatchObject({
      code: 'deadline_exceeded',
      details: { job_id: 'c' },
    });
  });

  it('turns a problem from the child’s API into dependency_failed with the child’s code', () => {
    const invalid = new AgentError('invalid_input', {
      detail: 'generator: input.passages: too many',
      details: { agent: 'generator', status: 422 },
    });
    expect(callFailure(invalid, undefined)).toMatchObject({
      code: 'dependency_failed',
      retryable: false,
      message: 'generator: input.passages: too many',
      details: { agent: 'generator', status: 422, child_code: 'invalid_input' },
    });
  });

  it('never lets a child’s shutdown or cancellation read as this job’s own', () => {
    for (const code of ['shutting_down', 'cancelled'] as const) {
      expect(callFailure(new AgentError(code, { detail: 'generator: x' }), 'c')).toMatchObject({
        code: 'dependency_failed',
        details: { job_id: 'c', child_code: code },
      });
    }
  });

  it('wraps anything else as internal', () => {
    expect(callFailure(new TypeError('x is undefined'), undefined)).toMatchObject({
      code: 'internal',
      message: 'x is undefined',
    });
  });
});

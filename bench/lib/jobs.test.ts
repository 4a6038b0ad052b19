import { describe, expect, it } from 'vitest';
import { classifyJobResponse } from './jobs.js';
import { tally, type LoadRun } from './load.js';

const record = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    created_at: '2024-01-01T00:00:00.000Z',
    started_at: '2024-01-01T00:00:00.003Z',
    ...fields,
  });

describe('classifyJobResponse', () => {
  it('counts a succeeded record as ok, with its queue time, tag and parts', () => {
    const a = classifyJobResponse(
      200,
      undefined,
      record({ status: 'succeeded', result: { verdict: 'pass', n: 2 } }),
      {
        tag: (r) => `verdict ${(r as { verdict: string }).verdict}`,
        parts: (r) => ({ n: (r as { n: number }).n }),
      },
    );
    expect(a).toEqual({ outcome: 'ok', queueMs: 3, note: 'verdict pass', parts: { n: 2 } });
  });

  it('counts a refusal with Retry-After as shed, and one without as a failure', () => {
    expect(classifyJobResponse(503, '1', '{}').outcome).toBe('shed');
    expect(classifyJobResponse(429, '2', '{}')).toEqual({ outcome: 'shed', note: 'shed 429' });
    expect(classifyJobResponse(503, undefined, '{"code":"queue_full"}')).toEqual({
      outcome: 'failed',
      note: 'HTTP 503 queue_full',
    });
  });

  it('tells expired jobs, unfinished waits and failed jobs apart, masking ids in the reason', () => {
    expect(classifyJobResponse(200, undefined, record({ status: 'expired' })).outcome).toBe('expired');
    expect(classifyJobResponse(202, undefined, '{"status":"queued"}').note).toBe(
      'not finished within Prefer: wait',
    );
    const failed = classifyJobResponse(
      200,
      undefined,
      record({
        status: 'failed',
        error: { code: 'dependency_failed', detail: 'job 0b6f1c1e-5d7a-4c2b-9a51-1f2e3d4c5b6a took 12 ms' },
      }),
    );
    expect(failed).toMatchObject({ outcome: 'failed', note: 'job failed dependency_failed job # took # ms' });
    expect(classifyJobResponse(500, undefined, 'oops').note).toBe('HTTP 500 (not JSON)');
  });
});

describe('tally', () => {
  it('computes success as ok ÷ (ok + failed), with shed and expired counted apart', () => {
    const outcomes = ['ok', 'ok', 'ok', 'failed', 'shed', 'shed', 'expired'] as const;
    const run: LoadRun = {
      samples: outcomes.map((outcome, i) => ({ at: i, ms: 1, outcome })),
      elapsedMs: 500,
      notes: {},
      unsent: 2,
    };
    expect(tally(run)).toEqual({
      sent: 7,
      ok: 3,
      shed: 2,
      expired: 1,
      failed: 1,
      unsent: 2,
      successRate: 0.75,
      okPerS: 6,
    });
  });
});

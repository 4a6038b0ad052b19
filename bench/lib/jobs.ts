/** Requests to an agent's (or the mesh's) job API, classified the way the bench counts them. */
import type { LoopbackClient } from './http-client.js';
import type { Attempt, Fire } from './load.js';

/** A job to submit with `Prefer: wait`. */
export interface JobCall {
  kind: string;
  /** The input, or a function giving the next one (e.g. rotating through questions). */
  input: Record<string, unknown> | (() => Record<string, unknown>);
  /** `Prefer: wait=N`: the response carries the finished record when the job ends within N s. */
  waitS: number;
  /** The job's own deadline (`deadline_ms`); past it a queued job expires instead of running. */
  deadlineMs?: number;
  path?: string;
  /** Tags a successful result (e.g. the verifier's verdict) for the run's notes. */
  tag?: (result: unknown) => string | undefined;
  /** Named durations a successful result reports. */
  parts?: (result: unknown) => Record<string, number> | undefined;
}

interface RecordLike {
  status?: string;
  created_at?: string;
  started_at?: string;
  result?: unknown;
  error?: { code?: string; detail?: string };
  code?: string;
}

/**
 * Turns a job-API response into an outcome: 200 with a succeeded record is ok; 503/429 with
 * `Retry-After` is shed (refused before anything was enqueued, as SPEC §3 asks); an expired record is
 * expired; anything else — another status, a failed record, a wait that ran out — is a failure.
 * Queue time comes from the record (`started_at − created_at`, both stamped by the engine in ms).
 */
export function classifyJobResponse(
  status: number,
  retryAfter: string | string[] | undefined,
  body: string,
  read: Pick<JobCall, 'tag' | 'parts'> = {},
): Attempt {
  if ((status === 503 || status === 429) && retryAfter !== undefined) {
    return { outcome: 'shed', note: `shed ${status}` };
  }
  let rec: RecordLike;
  try {
    rec = JSON.parse(body) as RecordLike;
  } catch {
    return { outcome: 'failed', note: `HTTP ${status} (not JSON)` };
  }
  if (status === 202) return { outcome: 'failed', note: 'not finished within Prefer: wait' };
  if (status !== 200) return { outcome: 'failed', note: `HTTP ${status} ${rec.code ?? ''}`.trim() };
  const queueMs =
    rec.created_at && rec.started_at ? Date.parse(rec.started_at) - Date.parse(rec.created_at) : undefined;
  const base = queueMs === undefined ? {} : { queueMs };
  if (rec.status === 'succeeded') {
    const note = read.tag?.(rec.result);
    const parts = read.parts?.(rec.result);
    return { outcome: 'ok', ...base, ...(note ? { note } : {}), ...(parts ? { parts } : {}) };
  }
  if (rec.status === 'expired') return { outcome: 'expired', ...base, note: 'expired (deadline)' };
  // The detail says which step failed and why; ids and numbers are masked so notes stay countable.
  const detail = (rec.error?.detail ?? '')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}|\d+(\.\d+)?/gi, '#')
    .slice(0, 140);
  return {
    outcome: 'failed',
    ...base,
    note: `job ${rec.status ?? '?'} ${rec.error?.code ?? ''} ${detail}`.trim(),
  };
}

/** A {@link Fire} that submits `call` and waits for its end. */
export function jobFire(client: LoopbackClient, call: JobCall): Fire {
  const fixed = call.input;
  const next = typeof fixed === 'function' ? fixed : (): Record<string, unknown> => fixed;
  const extra = call.deadlineMs === undefined ? {} : { deadline_ms: call.deadlineMs };
  const headers = { prefer: `wait=${call.waitS}` };
  const path = call.path ?? '/v1/jobs';
  return async () => {
    const res = await client.request('POST', path, {
      body: { kind: call.kind, input: next(), ...extra },
      headers,
      timeoutMs: (call.waitS + 15) * 1000,
    });
    return classifyJobResponse(res.status, res.headers['retry-after'], res.body, call);
  };
}

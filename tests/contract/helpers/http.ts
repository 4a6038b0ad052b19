import { connect } from 'node:net';
import { expect } from 'vitest';
import { JobRecord, Problem, isTerminal, type JobRecord as JobRecordType } from '@sutazai/agent-kit';

/** `POST /v1/jobs` with a JSON body. */
export function postJob(
  base: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Asserts an error response is problem+json with the status, code and a trace id; returns the body. */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, `${code}: ${text}`).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(JSON.parse(text));
  expect(problem).toMatchObject({ status, code });
  expect(problem.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(res.headers.get('x-trace-id')).toBe(problem.trace_id);
  return problem;
}

/** Polls `GET /v1/jobs/{id}` until the job is terminal. */
export async function waitForTerminal(
  base: string,
  jobId: string,
  timeoutMs = 10_000,
): Promise<JobRecordType> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/v1/jobs/${jobId}`);
    expect(res.status).toBe(200);
    const rec = JobRecord.parse(await res.json());
    if (isTerminal(rec.status)) return rec;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${rec.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes as they are over TCP and reads the answer until the server closes; for requests fetch
 * refuses to send (e.g. oversized header blocks).
 */
export function rawHttp(base: string, request: string, timeoutMs = 5000): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      // The server may reset the connection once it has answered, while the request is still being sent.
      if (!m || split < 0)
        return reject(err ?? new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, split).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: text.slice(split + 4) });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', finish);
    socket.on('close', () => finish());
    socket.end(request);
  });
}

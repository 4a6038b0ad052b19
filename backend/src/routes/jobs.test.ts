import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAccepted, JobRecord, Problem, isTerminal } from '@sutazai/agent-kit';
import {
  closedPort,
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from '../testing/fixtures/mesh-harness.js';

let orchestrator: RunningAgent;
let beta: RunningAgent;
let m: RunningMesh;
/** Speaks HTTP but not the contract: HTML on POST, a non-problem JSON error on GET. */
let offContract: Server;

beforeAll(async () => {
  orchestrator = await startAgent('orchestrator');
  beta = await startAgent('beta');
  offContract = createServer((req, res) => {
    if (req.method === 'POST') res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"nope"}');
  });
  await new Promise<void>((resolve) => offContract.listen(0, '127.0.0.1', resolve));
  m = await startMesh({
    orchestrator: orchestrator.url,
    beta: beta.url,
    gone: `http://127.0.0.1:${await closedPort()}`,
    odd: `http://127.0.0.1:${(offContract.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await m.close();
  await Promise.all([orchestrator.close(), beta.close()]);
  await new Promise<void>((resolve) => offContract.close(() => resolve()));
});

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${m.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function problem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = Problem.parse(JSON.parse(text));
  expect(p.code).toBe(code);
  expect(p.trace_id).toBe(res.headers.get('x-trace-id'));
  return p;
}

async function getRecord(id: string, tenant = 'default'): Promise<JobRecord> {
  const res = await fetch(`${m.url}/v1/jobs/${id}`, { headers: { 'x-tenant-id': tenant } });
  expect(res.status, await res.clone().text()).toBe(200);
  return JobRecord.parse(await res.json());
}

async function untilTerminal(id: string, tenant = 'default'): Promise<JobRecord> {
  const until = Date.now() + 10_000;
  for (;;) {
    const rec = await getRecord(id, tenant);
    if (isTerminal(rec.status)) return rec;
    if (Date.now() > until) throw new Error(`${id} still ${rec.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('POST /v1/jobs', () => {
  it('routes a job to the agent it names and answers with a routable mesh id', async () => {
    const res = await post({ agent: 'beta', kind: 'echo', input: { message: 'hi' } });
    expect(res.status).toBe(202);
    const body = JobAccepted.parse(await res.json());
    expect(body.job_id).toMatch(/^beta\.[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${body.job_id}`);
    expect(body.location).toBe(`/v1/jobs/${body.job_id}`);
    expect(body.events).toBe(`/v1/jobs/${body.job_id}/events`);

    const agentJobId = body.job_id.slice('beta.'.length);
    await expect(beta.service.engine.get('default', agentJobId)).resolves.toMatchObject({ kind: 'echo' });
    await expect(orchestrator.service.engine.get('default', agentJobId)).rejects.toThrow(/no job/);
    const rec = await untilTerminal(body.job_id);
    expect(rec).toMatchObject({
      job_id: body.job_id,
      agent: 'beta',
      status: 'succeeded',
      result: { message: 'hi' },
    });
  });

  it("defaults to the orchestrator and its descriptor's first kind, and passes Prefer: wait through", async () => {
    const res = await post({ input: { message: 'waited' } }, { prefer: 'wait=5' });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=5');
    const rec = JobRecord.parse(await res.json());
    expect(rec.job_id).toMatch(/^orchestrator\./);
    expect(rec).toMatchObject({ kind: 'echo', status: 'succeeded', result: { message: 'waited' } });
    expect(res.headers.get('location')).toBe(`/v1/jobs/${rec.job_id}`);
  });

  it('forwards the Idempotency-Key as sent, so the same key gives the same mesh id', async () => {
    const body = { agent: 'beta', kind: 'echo', input: { message: 'once' } };
    const first = await post(body, { 'idempotency-key': '"mesh-key-1"' });
    const second = await post(body, { 'idempotency-key': '"mesh-key-1"' });
    expect([first.status, second.status]).toEqual([202, 202]);
    const a = JobAccepted.parse(await first.json());
    const b = JobAccepted.parse(await second.json());
    expect(b.job_id).toBe(a.job_id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await getRecord(a.job_id)).idempotency_key).toBe('mesh-key-1');
    await untilTerminal(a.job_id);
    expect(beta.probe.executions.get(a.job_id.slice('beta.'.length))).toBe(1);

    const other = await post({ ...body, input: { message: 'twice' } }, { 'idempotency-key': '"mesh-key-1"' });
    await problem(other, 422, 'idempotency_key_mismatch');
    await problem(await post(body, { 'idempotency-key': '""' }), 400, 'invalid_idempotency_key');
  });

  it('invents no key when the client sends none', async () => {
    const body = { agent: 'beta', kind: 'echo', input: { message: 'no key' } };
    const a = JobAccepted.parse(await (await post(body)).json());
    const b = JobAccepted.parse(await (await post(body)).json());
    expect(b.job_id).not.toBe(a.job_id);
    expect((await getRecord(a.job_id)).idempotency_key).toBeUndefined();
  });

  it("continues the caller's trace: the agent's job record carries its trace id", async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const res = await post(
      { agent: 'beta', kind: 'echo', input: { message: 'traced' } },
      { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    );
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    const { job_id } = JobAccepted.parse(await res.json());
    const rec = await beta.service.engine.get('default', job_id.slice('beta.'.length));
    expect(rec.trace_id).toBe(traceId);
  });

  it('answers problems: unknown agent 404, bad body 400, unknown kind 422 (from the agent), agent down 503', async () => {
    const unknown = await problem(await post({ agent: 'nobody', input: {} }), 404, 'not_found');
    expect(unknown.detail).toContain('nobody');
    const bad = await problem(await post({ agent: 'beta', input: 'text' }), 400, 'validation_failed');
    expect(bad.errors?.[0]?.path).toBe('input');
    await problem(await post({ agent: 'beta', kind: 'echo', input: {}, extra: 1 }), 400, 'validation_failed');
    const kind = await problem(await post({ agent: 'beta', kind: 'nope', input: {} }), 422, 'unknown_kind');
    expect(kind.instance).toBe('/v1/jobs');
    const down = await problem(
      await post({ agent: 'gone', kind: 'echo', input: {} }),
      503,
      'dependency_unavailable',
    );
    expect(down.detail).toContain('gone');
    expect(down.retryable).toBe(true);
    const noKind = await problem(await post({ agent: 'gone', input: {} }), 503, 'dependency_unavailable');
    expect(noKind.detail).toContain('gone');
    expect(noKind.detail).toContain('ECONNREFUSED');
  });

  it('answers 502 dependency_failed when an agent answers outside the contract', async () => {
    const html = await problem(await post({ agent: 'odd', kind: 'x', input: {} }), 502, 'dependency_failed');
    expect(html.detail).toBe('odd answered HTTP 500 without a JSON body');
    const notProblem = await problem(await fetch(`${m.url}/v1/jobs/odd.1`), 502, 'dependency_failed');
    expect(notProblem.detail).toBe('odd answered HTTP 404 with a body that is not a problem');
  });
});

describe('jobs by mesh id', () => {
  it('GET, cancel and DELETE route by the id prefix and rewrite job_id', async () => {
    const submit = async (): Promise<string> =>
      JobAccepted.parse(await (await post({ agent: 'beta', kind: 'sleep', input: { ms: 10_000 } })).json())
        .job_id;
    const a = await submit();
    expect((await getRecord(a)).job_id).toBe(a);

    const cancelled = await fetch(`${m.url}/v1/jobs/${a}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(JobRecord.parse(await cancelled.json()).job_id).toBe(a);
    expect((await untilTerminal(a)).status).toBe('cancelled');

    const b = await submit();
    const deleted = await fetch(`${m.url}/v1/jobs/${b}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(JobRecord.parse(await deleted.json()).job_id).toBe(b);
    expect((await untilTerminal(b)).status).toBe('cancelled');

    const again = await problem(
      await fetch(`${m.url}/v1/jobs/${b}/cancel`, { method: 'POST' }),
      409,
      'job_not_cancellable',
    );
    expect(again.instance).toBe(`/v1/jobs/${b}/cancel`);
  });

  it("keeps tenants apart: another tenant's job is 404", async () => {
    const res = await post(
      { agent: 'beta', kind: 'echo', input: { message: 'mine' } },
      { 'x-tenant-id': 'acme' },
    );
    const { job_id } = JobAccepted.parse(await res.json());
    expect((await getRecord(job_id, 'acme')).tenant_id).toBe('acme');
    const other = { headers: { 'x-tenant-id': 'globex' } };
    await problem(await fetch(`${m.url}/v1/jobs/${job_id}`, other), 404, 'job_not_found');
    await problem(await fetch(`${m.url}/v1/jobs/${job_id}/events`, other), 404, 'job_not_found');
    await problem(
      await fetch(`${m.url}/v1/jobs/${job_id}/cancel`, { method: 'POST', ...other }),
      404,
      'job_not_found',
    );
    await problem(await fetch(`${m.url}/v1/jobs/${job_id}`), 404, 'job_not_found');
  });

  it('answers 404 job_not_found for malformed ids, unknown agents and unknown jobs', async () => {
    for (const id of ['no-dot', 'nobody.123', 'beta.00000000-0000-0000-0000-000000000000']) {
      await problem(await fetch(`${m.url}/v1/jobs/${id}`), 404, 'job_not_found');
    }
    await problem(await fetch(`${m.url}/v1/jobs/nobody.1/events`), 404, 'job_not_found');
    await problem(await fetch(`${m.url}/v1/jobs/gone.1`), 503, 'dependency_unavailable');
  });
});

/**
 * Security properties of every agent service, probed from outside: secrets and personal data never
 * reach the logs, tenants never see each other's jobs, events, keys or dead letters, and hostile
 * input is refused with a problem, never a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '@sutazai/agent-kit';
import { createTestAgent, sleep, startTestService, type TestService } from '@sutazai/agent-kit/testing';

const PLANTED = {
  email: 'jane.doe@example.com',
  phone: '+44 20 7946 0958',
  card: '4111 1111 1111 1111',
  ip: '203.0.113.77',
  bearer: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  apiKey: 'sk-live-0123456789abcdefABCDEF0123',
  cookie: 'session=9f8e7d6c5b4a39281706f5e4d3c2b1a0',
};

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService(createTestAgent().definition);
});
afterAll(async () => {
  await svc.close(100);
});

async function finished(id: string, tenant: string): Promise<JobRecord> {
  for (let i = 0; i < 200; i++) {
    const rec = (
      await svc.app.inject({ url: `/v1/jobs/${id}`, headers: { 'x-tenant-id': tenant } })
    ).json<JobRecord>();
    if (!['queued', 'running'].includes(rec.status)) return rec;
    await sleep(10);
  }
  throw new Error(`job ${id} did not finish`);
}

describe('logs', () => {
  it('carry no planted secret or personal data, from headers, bodies or failing jobs', async () => {
    const message = `call ${PLANTED.email} or ${PLANTED.phone}, card ${PLANTED.card}, from ${PLANTED.ip}`;
    const res = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'echo', input: { message } },
      headers: { authorization: PLANTED.bearer, cookie: PLANTED.cookie, 'x-api-key': PLANTED.apiKey },
    });
    await finished(res.json<{ job_id: string }>().job_id, 'default');
    await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'echo', input: { message: 1, note: PLANTED.email } },
      headers: { authorization: PLANTED.bearer },
    });
    const text = svc.logs.join('\n');
    expect(svc.logs.length).toBeGreaterThan(0);
    for (const [what, value] of Object.entries(PLANTED)) {
      expect(text, what).not.toContain(value);
      expect(text, what).not.toContain(value.replace(/^Bearer /, ''));
    }
    for (const line of svc.logs) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['agent', 'trace_id', 'tenant_id']));
    }
  });
});

describe('tenants', () => {
  it('never see each other’s jobs, events, idempotency keys or dead letters', async () => {
    const a = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'fail', input: { retryable: true }, max_attempts: 1 },
      headers: { 'x-tenant-id': 'acme', 'idempotency-key': 'shared-key' },
    });
    const id = a.json<{ job_id: string }>().job_id;
    await finished(id, 'acme');
    const as = (tenant: string, url: string, method: 'GET' | 'POST' = 'GET') =>
      svc.app.inject({ method, url, headers: { 'x-tenant-id': tenant } });
    expect((await as('globex', `/v1/jobs/${id}`)).statusCode).toBe(404);
    expect((await as('globex', `/v1/jobs/${id}/events`)).statusCode).toBe(404);
    expect((await as('globex', `/v1/jobs/${id}/cancel`, 'POST')).statusCode).toBe(404);
    expect((await as('globex', `/v1/dlq/${id}`)).statusCode).toBe(404);
    expect((await as('globex', `/v1/dlq/${id}/redrive`, 'POST')).statusCode).toBe(404);
    expect((await as('globex', '/v1/dlq')).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await as('acme', `/v1/dlq/${id}`)).statusCode).toBe(200);
    // The same Idempotency-Key in another tenant is another request, not a replay or a conflict.
    const b = await svc.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'echo', input: { message: 'other tenant' } },
      headers: { 'x-tenant-id': 'globex', 'idempotency-key': 'shared-key' },
    });
    expect(b.statusCode).toBe(202);
    expect(b.json<{ job_id: string }>().job_id).not.toBe(id);
  });
});

describe('hostile input', () => {
  it('is refused with a problem code and the service keeps serving', async () => {
    // A body carrying `__proto__` is refused outright (prototype pollution), not parsed.
    const cases: [Record<string, unknown>, number, string][] = [
      [
        {
          method: 'POST',
          url: '/v1/jobs',
          payload: '{"kind":"echo","input":{"__proto__":{"polluted":true}}}',
          headers: { 'content-type': 'application/json' },
        },
        400,
        'invalid_json',
      ],
      [
        { method: 'POST', url: '/v1/jobs', payload: { kind: '../../etc/passwd', input: {} } },
        400,
        'validation_failed',
      ],
      [{ method: 'GET', url: `/v1/jobs/${'x'.repeat(500)}` }, 414, 'uri_too_long'],
      [{ method: 'GET', url: '/v1/jobs/%E0%A4%A' }, 400, 'bad_request'],
      [
        { method: 'GET', url: '/v1/jobs/abc', headers: { 'x-tenant-id': "acme'; DROP TABLE jobs;--" } },
        400,
        'invalid_tenant',
      ],
      [
        { method: 'GET', url: '/v1/jobs/abc/events', headers: { 'last-event-id': '-1 OR 1=1' } },
        404,
        'job_not_found',
      ],
    ];
    for (const [req, status, code] of cases) {
      const res = await svc.app.inject(req as never);
      expect(res.statusCode, `${code}: ${res.body}`).toBe(status);
      expect(res.json<{ code: string }>().code).toBe(code);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await svc.app.inject('/health')).statusCode).toBe(200);
  });
});

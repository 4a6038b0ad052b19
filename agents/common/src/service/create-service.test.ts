import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../contract/schemas.js';
import { startTestService, type TestService } from '../testing/harness.js';
import { createTestAgent, sleep } from '../testing/test-agent.js';

const services: TestService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close(100)));
});

async function start(opts: Parameters<typeof startTestService>[1] = {}) {
  const agent = createTestAgent();
  const svc = await startTestService(agent.definition, opts);
  services.push(svc);
  return { svc, probe: agent.probe, app: svc.app };
}

type Inject = TestService['app']['inject'];
async function submit(
  app: TestService['app'],
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Awaited<ReturnType<Inject>>> {
  return app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object, headers });
}

async function waitFor(
  app: TestService['app'],
  id: string,
  tenant = 'default',
  ms = 5000,
): Promise<JobRecord> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await app.inject({ url: `/v1/jobs/${id}`, headers: { 'x-tenant-id': tenant } });
    const rec = res.json<JobRecord>();
    if (['succeeded', 'failed', 'cancelled', 'expired'].includes(rec.status)) return rec;
    if (Date.now() > until) throw new Error(`job ${id} still ${rec.status}`);
    await sleep(5);
  }
}

describe('contract endpoints', () => {
  it('serves health, version, agent descriptor, openapi and metrics', async () => {
    const { app } = await start();
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', version: '1.0.0' });
    expect(typeof health.json<{ uptime_s: number }>().uptime_s).toBe('number');
    expect((await app.inject('/version')).json()).toEqual({
      name: 'testagent',
      version: '1.0.0',
      git_sha: 'test',
      build_time: '1970-01-01T00:00:00.000Z',
    });
    const desc = (await app.inject('/v1/agent')).json<{ kinds: { kind: string; input_schema: object }[] }>();
    expect(desc.kinds.map((k) => k.kind)).toContain('echo');
    expect(desc.kinds.find((k) => k.kind === 'echo')?.input_schema).toMatchObject({ type: 'object' });
    const openapi = (await app.inject('/openapi.json')).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toContain('/v1/jobs');
    const metrics = await app.inject('/metrics');
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toContain('sutazai_agents_queue_depth{agent="testagent"} 0');
  });

  it('is ready when its checks pass and names the failing ones when not', async () => {
    let up = true;
    const { app } = await start({
      checks: [
        { name: 'db', check: async () => (up ? { ok: true } : { ok: false, detail: 'connection refused' }) },
        { name: 'slow', check: async (signal) => (await sleep(up ? 0 : 5000, signal), { ok: true }) },
      ],
    });
    expect((await app.inject('/ready')).statusCode).toBe(200);
    up = false;
    const res = await app.inject('/ready');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json<{ code: string; details: { failing: string[] } }>();
    expect(body.code).toBe('not_ready');
    expect(body.details.failing.sort()).toEqual(['db', 'slow']);
  });
});

describe('job intake', () => {
  it('accepts with 202 + Location and runs the job', async () => {
    const { app } = await start();
    const res = await submit(app, { kind: 'echo', input: { message: 'hi' } });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ job_id: string; status: string }>();
    expect(res.headers.location).toBe(`/v1/jobs/${body.job_id}`);
    const rec = await waitFor(app, body.job_id);
    expect(rec).toMatchObject({ status: 'succeeded', result: { message: 'hi' }, attempts: 1, kind: 'echo' });
  });

  it('answers 200 with the result under Prefer: wait', async () => {
    const { app } = await start();
    const res = await submit(app, { kind: 'sleep', input: { ms: 20 } }, { prefer: 'wait=5' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'succeeded', result: { slept: 20 } });
    const slow = await submit(app, { kind: 'sleep', input: { ms: 3000 } }, { prefer: 'wait=1' });
    expect(slow.statusCode).toBe(202);
  });

  it('long-polls a job record under Prefer: wait', async () => {
    const { app } = await start();
    const id = (await submit(app, { kind: 'sleep', input: { ms: 150 } })).json<{ job_id: string }>().job_id;
    const t0 = Date.now();
    const res = await app.inject({ url: `/v1/jobs/${id}`, headers: { prefer: 'wait=5' } });
    expect(res.json<JobRecord>().status).toBe('succeeded');
    expect(res.headers['preference-applied']).toBe('wait=5');
    expect(Date.now() - t0).toBeLessThan(4000);
    const slow = (await submit(app, { kind: 'sleep', input: { ms: 5000 } })).json<{ job_id: string }>()
      .job_id;
    const still = await app.inject({ url: `/v1/jobs/${slow}`, headers: { prefer: 'wait=1' } });
    expect(still.json<JobRecord>().status).toBe('running');
  });

  it('rejects bad input with 4xx problem codes and keeps serving', async () => {
    const { app } = await start({ bodyLimitBytes: 2048 });
    const cases: [InjectOptions, number, string][] = [
      [
        {
          method: 'POST',
          url: '/v1/jobs',
          payload: '{"kind":',
          headers: { 'content-type': 'application/json' },
        },
        400,
        'invalid_json',
      ],
      [{ method: 'POST', url: '/v1/jobs', payload: { kind: 42, input: {} } }, 400, 'validation_failed'],
      [
        { method: 'POST', url: '/v1/jobs', payload: { kind: 'echo', input: { message: 1 } } },
        422,
        'invalid_input',
      ],
      [{ method: 'POST', url: '/v1/jobs', payload: { kind: 'nope', input: {} } }, 422, 'unknown_kind'],
      [
        { method: 'POST', url: '/v1/jobs', payload: { kind: 'echo', input: { message: 'x'.repeat(5000) } } },
        413,
        'payload_too_large',
      ],
      [
        { method: 'POST', url: '/v1/jobs', payload: 'hello', headers: { 'content-type': 'text/plain' } },
        415,
        'unsupported_media_type',
      ],
      [
        {
          method: 'POST',
          url: '/v1/jobs',
          payload: { kind: 'echo', input: { message: 'a' } },
          headers: { 'x-tenant-id': 'bad tenant!' },
        },
        400,
        'invalid_tenant',
      ],
      [
        {
          method: 'POST',
          url: '/v1/jobs',
          payload: { kind: 'echo', input: { message: 'a' }, deadline_at: '2000-01-01T00:00:00Z' },
        },
        422,
        'deadline_invalid',
      ],
      [{ method: 'GET', url: '/v1/jobs/does-not-exist' }, 404, 'job_not_found'],
      [{ method: 'GET', url: '/nowhere' }, 404, 'not_found'],
    ];
    for (const [req, status, code] of cases) {
      const res = await app.inject(req);
      expect(res.statusCode, `${code}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json<{ code: string; trace_id: string; status: number }>();
      expect(problem.code).toBe(code);
      expect(problem.status).toBe(status);
      expect(problem.trace_id).toMatch(/^[0-9a-f]{32}$/);
    }
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect(await app.inject('/metrics').then((r) => r.body)).toContain(
      'sutazai_agents_errors_total{agent="testagent",type="invalid_json"} 1',
    );
  });

  it('keeps tenants apart', async () => {
    const { app } = await start();
    const res = await submit(app, { kind: 'echo', input: { message: 'mine' } }, { 'x-tenant-id': 'acme' });
    const id = res.json<{ job_id: string }>().job_id;
    await waitFor(app, id, 'acme');
    const other = await app.inject({ url: `/v1/jobs/${id}`, headers: { 'x-tenant-id': 'globex' } });
    expect(other.statusCode).toBe(404);
    const events = await app.inject({ url: `/v1/jobs/${id}/events`, headers: { 'x-tenant-id': 'globex' } });
    expect(events.statusCode).toBe(404);
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/cancel`,
      headers: { 'x-tenant-id': 'globex' },
    });
    expect(cancel.statusCode).toBe(404);
  });
});

describe('idempotency', () => {
  it('replays the same job for the same key and body, one execution', async () => {
    const { app, probe } = await start();
    const body = { kind: 'echo', input: { message: 'once' } };
    const a = await submit(app, body, { 'idempotency-key': '"k-1"' });
    const b = await submit(app, { input: { message: 'once' }, kind: 'echo' }, { 'idempotency-key': '"k-1"' });
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const id = a.json<{ job_id: string }>().job_id;
    expect(b.json<{ job_id: string }>().job_id).toBe(id);
    await waitFor(app, id);
    expect(probe.executions.get(id)).toBe(1);
  });

  it('422 for the same key with another body, 400 for a malformed key, scoped per tenant', async () => {
    const { app } = await start();
    const first = await submit(app, { kind: 'echo', input: { message: 'a' } }, { 'idempotency-key': 'k-2' });
    expect(first.statusCode).toBe(202);
    const mismatch = await submit(
      app,
      { kind: 'echo', input: { message: 'b' } },
      { 'idempotency-key': 'k-2' },
    );
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json<{ code: string }>().code).toBe('idempotency_key_mismatch');
    for (const bad of ['""', '"unterminated', 'x'.repeat(300), 'caf\u00e9']) {
      const res = await submit(app, { kind: 'echo', input: { message: 'a' } }, { 'idempotency-key': bad });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('invalid_idempotency_key');
    }
    const otherTenant = await submit(
      app,
      { kind: 'echo', input: { message: 'a' } },
      { 'idempotency-key': 'k-2', 'x-tenant-id': 't2' },
    );
    expect(otherTenant.statusCode).toBe(202);
    expect(otherTenant.json<{ job_id: string }>().job_id).not.toBe(first.json<{ job_id: string }>().job_id);
  });

  it('50 concurrent duplicates make one job; the others replay it or get 409', async () => {
    const { app, probe } = await start();
    const body = { kind: 'echo', input: { message: 'dup' } };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => submit(app, body, { 'idempotency-key': 'same-key' })),
    );
    const ids = new Set(
      results.filter((r) => r.statusCode === 202).map((r) => r.json<{ job_id: string }>().job_id),
    );
    expect(ids.size).toBe(1);
    for (const r of results) expect([202, 409]).toContain(r.statusCode);
    const [id] = [...ids] as [string];
    await waitFor(app, id);
    expect(probe.executions.get(id)).toBe(1);
    expect((await app.inject({ url: '/v1/jobs?limit=1' })).statusCode).toBe(404);
  });
});

describe('backpressure', () => {
  it('sheds load past the queue depth with 503 + Retry-After and enqueues nothing', async () => {
    const { app, svc } = await start({ engine: { maxWorkers: 1, maxQueueDepth: 3 } });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => submit(app, { kind: 'sleep', input: { ms: 200 + i } })),
    );
    const accepted = results.filter((r) => r.statusCode === 202);
    const shed = results.filter((r) => r.statusCode === 503);
    expect(accepted.length + shed.length).toBe(12);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    expect(accepted.length).toBeLessThanOrEqual(4);
    for (const r of shed) {
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect(r.json<{ code: string }>().code).toBe('queue_full');
    }
    const stored = await svc.backend.store.list({ limit: 100 });
    expect(stored.length).toBe(accepted.length);
    for (const r of accepted) {
      expect((await waitFor(app, r.json<{ job_id: string }>().job_id)).status).toBe('succeeded');
    }
  });

  it('answers 429 + Retry-After past a tenant quota', async () => {
    const { app } = await start({ engine: { tenantRatePerS: 1, tenantBurst: 2 } });
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push(
        (await submit(app, { kind: 'echo', input: { message: `${i}` } }, { 'x-tenant-id': 'greedy' }))
          .statusCode,
      );
    expect(codes).toEqual([202, 202, 429, 429]);
    expect(
      (await submit(app, { kind: 'echo', input: { message: 'x' } }, { 'x-tenant-id': 'polite' })).statusCode,
    ).toBe(202);
  });
});

describe('deadlines, retries, DLQ and cancel', () => {
  it('expires a job whose deadline passes while queued, without starting it', async () => {
    const { app, probe } = await start({ engine: { maxWorkers: 1 } });
    const blocker = await submit(app, { kind: 'sleep', input: { ms: 400 } });
    const late = await submit(app, { kind: 'sleep', input: { ms: 1 }, deadline_ms: 100 });
    const id = late.json<{ job_id: string }>().job_id;
    await sleep(150);
    const rec = (await app.inject(`/v1/jobs/${id}`)).json<JobRecord>();
    expect(rec.status).toBe('expired');
    expect(rec.error?.code).toBe('deadline_exceeded');
    expect(rec.started_at).toBeUndefined();
    await waitFor(app, blocker.json<{ job_id: string }>().job_id);
    await sleep(20);
    expect(probe.executions.has(id)).toBe(false);
  });

  it('aborts a running job at its deadline', async () => {
    const { app } = await start();
    const res = await submit(app, { kind: 'sleep', input: { ms: 5000 }, deadline_ms: 150 });
    const t0 = Date.now();
    const rec = await waitFor(app, res.json<{ job_id: string }>().job_id);
    expect(rec.status).toBe('expired');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('retries retryable failures with backoff, then succeeds', async () => {
    const { app } = await start();
    const res = await submit(app, { kind: 'flaky', input: { failures: 2 } });
    const rec = await waitFor(app, res.json<{ job_id: string }>().job_id);
    expect(rec).toMatchObject({ status: 'succeeded', attempts: 3, result: { attempt: 3 } });
  });

  it('fails non-retryable errors at once, without the DLQ', async () => {
    const { app, probe } = await start();
    const id = (await submit(app, { kind: 'fail', input: { retryable: false } })).json<{ job_id: string }>()
      .job_id;
    const rec = await waitFor(app, id);
    expect(rec.status).toBe('failed');
    expect(rec.error?.code).toBe('tool_denied');
    expect(probe.executions.get(id)).toBe(1);
    expect((await app.inject(`/v1/dlq/${id}`)).statusCode).toBe(404);
  });

  it('dead-letters a poison job after max attempts; redrive runs it once more', async () => {
    const { app, probe } = await start();
    const id = (await submit(app, { kind: 'fail', input: { retryable: true }, max_attempts: 3 })).json<{
      job_id: string;
    }>().job_id;
    const rec = await waitFor(app, id);
    expect(rec).toMatchObject({ status: 'failed', attempts: 3 });
    expect(probe.executions.get(id)).toBe(3);
    const list = (await app.inject('/v1/dlq')).json<{
      items: { job_id: string; queue: string; attempts: number; trace_id: string }[];
    }>();
    expect(list.items.map((d) => d.job_id)).toContain(id);
    const dl = (await app.inject(`/v1/dlq/${id}`)).json<{
      queue: string;
      attempts: number;
      trace_id: string;
      error: { code: string };
    }>();
    expect(dl).toMatchObject({
      queue: 'agent.testagent.dlq',
      attempts: 3,
      trace_id: rec.trace_id,
      error: { code: 'dependency_failed' },
    });
    expect((await app.inject({ url: `/v1/dlq/${id}`, headers: { 'x-tenant-id': 'other' } })).statusCode).toBe(
      404,
    );
    const redrive = await app.inject({ method: 'POST', url: `/v1/dlq/${id}/redrive` });
    expect(redrive.statusCode).toBe(202);
    const again = await waitFor(app, id);
    expect(again).toMatchObject({ status: 'failed', attempts: 4 });
    expect(probe.executions.get(id)).toBe(4);
    expect((await app.inject({ method: 'POST', url: `/v1/dlq/${id}/redrive` })).statusCode).toBe(202);
  });

  it('cancels queued and running jobs; finished ones are not cancellable', async () => {
    const { app, probe } = await start({ engine: { maxWorkers: 1 } });
    const running = (await submit(app, { kind: 'sleep', input: { ms: 5000 } })).json<{ job_id: string }>()
      .job_id;
    const queued = (await submit(app, { kind: 'sleep', input: { ms: 5000 } })).json<{ job_id: string }>()
      .job_id;
    await sleep(30);
    const c1 = await app.inject({ method: 'DELETE', url: `/v1/jobs/${queued}` });
    expect(c1.statusCode).toBe(200);
    expect(c1.json<JobRecord>().status).toBe('cancelled');
    const c2 = await app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
    expect(c2.statusCode).toBe(200);
    expect((await waitFor(app, running)).status).toBe('cancelled');
    expect(probe.executions.has(queued)).toBe(false);
    const c3 = await app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
    expect(c3.statusCode).toBe(409);
    expect(c3.json<{ code: string }>().code).toBe('job_not_cancellable');
  });

  it('fails output that violates the kind schema without retrying', async () => {
    const { app } = await start();
    const id = (await submit(app, { kind: 'bad-output', input: {} })).json<{ job_id: string }>().job_id;
    const rec = await waitFor(app, id);
    expect(rec).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'output_invalid' } });
  });
});

describe('metrics and shutdown', () => {
  it('counts tasks, latency and queue time with bounded labels', async () => {
    const { app } = await start();
    await submit(app, { kind: 'echo', input: { message: 'm' } }, { prefer: 'wait=5' });
    const text = (await app.inject('/metrics')).body;
    expect(text).toContain('sutazai_agents_tasks_total{agent="testagent",kind="echo",status="succeeded"} 1');
    expect(text).toMatch(/sutazai_agents_task_latency_ms_bucket\{le="[^"]+",agent="testagent",kind="echo"\}/);
    expect(text).toMatch(/sutazai_agents_queue_time_ms_count\{agent="testagent",kind="echo"\} 1/);
    expect(text).not.toMatch(/job_id=|tenant_id=|trace_id=/);
  });

  it('stops intake on shutdown and lets running jobs finish within the grace period', async () => {
    const agent = createTestAgent();
    const svc = await startTestService(agent.definition);
    const id = (await submit(svc.app, { kind: 'sleep', input: { ms: 150 } })).json<{ job_id: string }>()
      .job_id;
    await sleep(20);
    const closing = svc.close(2000);
    const rec = await svc.backend.store.get(id);
    expect(rec?.status).toBe('running');
    await closing;
    expect((await svc.backend.store.get(id))?.status).toBe('succeeded');
  });

  it('hands a job back to the queue when the grace period runs out', async () => {
    const agent = createTestAgent();
    const svc = await startTestService(agent.definition, { backend: undefined });
    const id = (await submit(svc.app, { kind: 'sleep', input: { ms: 10_000 } })).json<{ job_id: string }>()
      .job_id;
    await sleep(20);
    await svc.engine.stop(50);
    const rec = await svc.backend.store.get(id);
    expect(rec?.status).toBe('queued');
    expect(rec?.attempts).toBe(0);
    const depth = await svc.backend.queue.depth();
    expect(depth.waiting).toBe(1);
    const refused = await submit(svc.app, { kind: 'echo', input: { message: 'late' } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json<{ code: string }>().code).toBe('shutting_down');
    await svc.close(0);
  });
});

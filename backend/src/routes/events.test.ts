import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAccepted, TERMINAL_EVENT_TYPES } from '@sutazai/agent-kit';
import {
  startAgent,
  startMesh,
  type RunningAgent,
  type RunningMesh,
} from '../testing/fixtures/mesh-harness.js';
import { readJobStream, readRawUntil, type ReceivedEvent } from '../testing/fixtures/sse-client.js';
import { startTcpProxy, type TcpProxy } from '../testing/fixtures/tcp-proxy.js';

let agent: RunningAgent;
let proxy: TcpProxy;
let m: RunningMesh;

beforeAll(async () => {
  agent = await startAgent('orchestrator');
  proxy = await startTcpProxy(agent.port);
  // `flaky` reaches the same agent through a proxy whose connections the tests cut.
  m = await startMesh({ orchestrator: agent.url, flaky: proxy.url }, { sseHeartbeatMs: 100 });
});
afterAll(async () => {
  await m.close();
  await proxy.close();
  await agent.close();
});

async function submit(body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${m.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return JobAccepted.parse(await res.json()).job_id;
}

/** Asserts a complete stream: ids 1..n, each event's job_id the mesh id, one terminal event, last. */
function expectWhole(events: ReceivedEvent[], meshId: string): void {
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => String(i + 1)));
  for (const e of events) {
    expect(e.data.job_id).toBe(meshId);
    expect(e.type).toBe(e.data.type);
    expect(String(e.data.id)).toBe(e.id);
  }
  expect(events[0]?.type).toBe('job.queued');
  expect(events.filter((e) => TERMINAL_EVENT_TYPES.has(e.data.type))).toEqual([events.at(-1)]);
}

describe('GET /v1/jobs/{id}/events', () => {
  it('relays the whole stream with mesh job ids, the agent event ids and the SSE headers', async () => {
    const id = await submit({ kind: 'stream', input: { n: 5, delay_ms: 5 } });
    const { events, headers } = await readJobStream(`${m.url}/v1/jobs/${id}/events`);
    expectWhole(events, id);
    expect(events.filter((e) => e.type === 'token').map((e) => e.data.data.text)).toEqual([
      't0',
      ' t1',
      ' t2',
      ' t3',
      ' t4',
    ]);
    expect(events.at(-1)?.type).toBe('job.succeeded');
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('cache-control')).toBe('no-cache');
    expect(headers.get('x-accel-buffering')).toBe('no');

    const direct = await readJobStream(`${agent.url}/v1/jobs/${id.slice('orchestrator.'.length)}/events`);
    expect(events.map((e) => ({ ...e.data, job_id: 'x' }))).toEqual(
      direct.events.map((e) => ({ ...e.data, job_id: 'x' })),
    );
  });

  it('resumes with Last-Event-ID (header or query) with exactly the later events', async () => {
    const id = await submit({ kind: 'stream', input: { n: 6, delay_ms: 0 } });
    const all = (await readJobStream(`${m.url}/v1/jobs/${id}/events`)).events;
    expect(all.length).toBeGreaterThan(5);

    const resumed = await readJobStream(`${m.url}/v1/jobs/${id}/events`, { lastEventId: '3' });
    expect(resumed.events.map((e) => e.data)).toEqual(all.slice(3).map((e) => e.data));
    const byQuery = await readJobStream(`${m.url}/v1/jobs/${id}/events?last_event_id=3`);
    expect(byQuery.events.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));

    // After the end: nothing more, and the stream closes.
    const last = all.at(-1)?.id ?? '0';
    const raw = await readRawUntil(
      `${m.url}/v1/jobs/${id}/events`,
      { 'last-event-id': last },
      () => false,
      5000,
    );
    expect(raw.text).not.toContain('id:');
  });

  it('resumes a live job: a reconnect mid-stream gets the rest without a gap or a repeat', async () => {
    const id = await submit({ kind: 'stream', input: { n: 12, delay_ms: 20 } });
    const head = await readRawUntil(`${m.url}/v1/jobs/${id}/events`, {}, (t) => /id: 4\n/.test(t), 5000);
    expect(head.text).toMatch(/id: 1\n/);
    const tail = await readJobStream(`${m.url}/v1/jobs/${id}/events`, { lastEventId: '4' });
    expect(tail.events[0]?.id).toBe('5');
    expect(tail.events.map((e) => e.id)).toEqual(tail.events.map((_, i) => String(i + 5)));
    expect(tail.events.at(-1)?.type).toBe('job.succeeded');
  });

  it('survives an upstream drop: it resumes upstream from the last relayed id and the client sees no gap', async () => {
    const id = await submit({ agent: 'flaky', kind: 'stream', input: { n: 30, delay_ms: 20 } });
    let cut = 0;
    let acceptedAtCut = 0;
    const { events } = await readJobStream(`${m.url}/v1/jobs/${id}/events`, {
      timeoutMs: 15_000,
      onEvent: (ev) => {
        if (ev.id === '5' && cut === 0) {
          acceptedAtCut = proxy.accepted();
          cut = proxy.dropAll();
        }
      },
    });
    expect(cut).toBeGreaterThan(0);
    expect(proxy.accepted()).toBeGreaterThan(acceptedAtCut);
    expectWhole(events, id);
    expect(events.filter((e) => e.type === 'token')).toHaveLength(30);
    expect(events.at(-1)?.type).toBe('job.succeeded');
    expect(m.logs.some((l) => l.includes('event stream broke; resuming'))).toBe(true);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const id = await submit({ kind: 'sleep', input: { ms: 2000 } });
    const raw = await readRawUntil(
      `${m.url}/v1/jobs/${id}/events`,
      {},
      (t) => t.includes(': heartbeat'),
      5000,
    );
    expect(raw.text).toContain(': heartbeat\n\n');
    await fetch(`${m.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
  });

  it('rejects a malformed Last-Event-ID with a problem', async () => {
    const id = await submit({ kind: 'echo', input: { message: 'x' } });
    const res = await fetch(`${m.url}/v1/jobs/${id}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_header');
  });
});

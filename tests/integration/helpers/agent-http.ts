/**
 * Talking to in-process agent services over real HTTP, as a client would: submitting jobs,
 * reading records and event streams, and reading `/metrics`.
 */
import type { AddressInfo } from 'node:net';
import { readJobEvents } from '../../../agents/common/src/client/sse-reader.js';
import { JobRecord, isTerminal, type JobEvent } from '../../../agents/common/src/contract/schemas.js';
import type { TestService } from '../../../agents/common/src/testing/harness.js';

/** A service listening on 127.0.0.1 and its base URL. */
export interface Replica {
  service: TestService;
  url: string;
}

/** Makes the service listen on an OS-assigned port. */
export async function listen(service: TestService): Promise<Replica> {
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  return { service, url: `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}` };
}

/** One HTTP answer with its JSON (or undefined) body. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** `POST /v1/jobs` for `tenant`. */
export async function postJob(
  baseUrl: string,
  tenant: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': tenant, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return answer(res);
}

/** `GET` of a path, as `tenant`. */
export async function getPath(baseUrl: string, path: string, tenant = 'default'): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { 'x-tenant-id': tenant },
    signal: AbortSignal.timeout(10_000),
  });
  return answer(res);
}

/** The service's `/metrics` exposition text. */
export async function metricsText(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return res.text();
}

/** The job's record, or undefined when the service answers 404. */
export async function getJob(baseUrl: string, tenant: string, jobId: string): Promise<JobRecord | undefined> {
  const a = await getPath(baseUrl, `/v1/jobs/${jobId}`, tenant);
  if (a.status === 404) return undefined;
  if (a.status !== 200) throw new Error(`GET job ${jobId}: ${a.status} ${JSON.stringify(a.body)}`);
  return JobRecord.parse(a.body);
}

/**
 * Polls until every job is terminal or `timeoutMs` passes; returns the last record seen of each
 * (jobs the service does not know are left out).
 */
export async function waitAllTerminal(
  baseUrl: string,
  tenant: string,
  jobIds: Iterable<string>,
  timeoutMs: number,
): Promise<Map<string, JobRecord>> {
  const records = new Map<string, JobRecord>();
  let open = [...new Set(jobIds)];
  const until = Date.now() + timeoutMs;
  while (open.length > 0) {
    const seen = await Promise.all(open.map((id) => getJob(baseUrl, tenant, id)));
    seen.forEach((rec) => rec && records.set(rec.job_id, rec));
    open = open.filter((id) => {
      const rec = records.get(id);
      return rec === undefined || !isTerminal(rec.status);
    });
    if (open.length === 0 || Date.now() >= until) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return records;
}

/** Reads a job's SSE stream from `afterId` until `until` holds for an event, then hangs up. */
export async function followEvents(
  baseUrl: string,
  tenant: string,
  jobId: string,
  opts: {
    afterId?: number;
    until: (e: JobEvent) => boolean;
    timeoutMs: number;
    onEvent?: (e: JobEvent) => void;
  },
): Promise<JobEvent[]> {
  const hangUp = new AbortController();
  const afterId = opts.afterId ?? 0;
  const res = await fetch(`${baseUrl}/v1/jobs/${jobId}/events`, {
    headers: {
      'x-tenant-id': tenant,
      accept: 'text/event-stream',
      ...(afterId > 0 ? { 'last-event-id': String(afterId) } : {}),
    },
    signal: AbortSignal.any([hangUp.signal, AbortSignal.timeout(opts.timeoutMs)]),
  });
  if (res.status !== 200 || res.body === null) throw new Error(`event stream of ${jobId}: ${res.status}`);
  const out: JobEvent[] = [];
  try {
    for await (const event of readJobEvents(res.body)) {
      out.push(event);
      opts.onEvent?.(event);
      if (opts.until(event)) break;
    }
  } finally {
    hangUp.abort();
  }
  return out;
}

/** Cumulative bucket counts (`le` → count, `+Inf` as Infinity) of one histogram series. */
export function histogramBuckets(
  metricsText: string,
  name: string,
  labels: Record<string, string>,
): Map<number, number> {
  const out = new Map<number, number>();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const close = line.indexOf('}');
    const labelText = line.slice(name.length + '_bucket{'.length, close);
    if (!wanted.every((w) => labelText.split(',').includes(w))) continue;
    const le = /le="([^"]+)"/.exec(labelText)?.[1];
    if (le === undefined) continue;
    out.set(le === '+Inf' ? Infinity : Number(le), Number(line.slice(close + 1).trim()));
  }
  return out;
}

/** The value of the first sample of `name`, whatever its labels (e.g. the process's resident memory). */
export function sampleValue(metricsText: string, name: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** `after − before` of two cumulative bucket readings. */
export function bucketDelta(after: Map<number, number>, before: Map<number, number>): Map<number, number> {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}

/**
 * The `q` quantile of cumulative buckets, interpolated linearly inside its bucket the way
 * Prometheus' histogram_quantile does. Undefined for an empty histogram.
 */
export function bucketQuantile(buckets: Map<number, number>, q: number): number | undefined {
  const sorted = [...buckets].sort((x, y) => x[0] - y[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** The `p` percentile (0-100) of `values` (nearest rank). NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Resolves after `ms`. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

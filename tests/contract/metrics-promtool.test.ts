/**
 * `/metrics` parses with `promtool check metrics` (SPEC §7). Lint findings are failures too, except the
 * unit-suffix complaint about the `_ms` names the spec mandates and the kit's histograms named alike.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAccepted } from '@sutazai/agent-kit';
import { startTestService, type TestService } from '../../agents/common/src/testing/harness.js';
import { createTestAgent } from '../../agents/common/src/testing/test-agent.js';
import { postJob, waitForTerminal } from './helpers/http.js';
import { SPEC_FAMILIES, parseSamples } from './helpers/prometheus.js';

/** `_ms` histograms: `task_latency_ms` is the spec's name; the others follow it for one unit across dashboards. */
const MS_NAMES = new Set(
  ['task_latency_ms', 'queue_time_ms', 'decision_latency_ms', 'http_request_duration_ms'].map(
    (n) => `sutazai_agents_${n}`,
  ),
);
const TOLERATED = /^metric names should not contain abbreviated units$|use base unit/;

/** promtool's verdict on an exposition. */
interface PromtoolResult {
  status: number | null;
  /** Lines of the form `<metric> <complaint>`. */
  findings: { metric: string; message: string }[];
  /** Everything else promtool printed (parse errors among it). */
  other: string[];
}

/** Runs `promtool check metrics` on the text; throws a clear message when promtool is absent (CI=true). */
function promtool(exposition: string): PromtoolResult {
  const run = spawnSync('promtool', ['check', 'metrics'], {
    input: exposition,
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool is not installed but CI=true: install it (apt-get install prometheus) so /metrics is checked',
    );
  }
  if (run.error) throw run.error;
  const findings: PromtoolResult['findings'] = [];
  const other: string[] = [];
  for (const line of `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m && !line.startsWith('error')) findings.push({ metric: m[1] ?? '', message: m[2] ?? '' });
    else other.push(line);
  }
  return { status: run.status, findings, other };
}

const available = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error === undefined;
if (!available && process.env.CI !== 'true') {
  console.warn(
    'SKIPPING metrics-promtool.test.ts: promtool is not installed (Debian/Ubuntu: apt-get install prometheus). ' +
      'In CI (CI=true) this test fails instead.',
  );
}

describe.skipIf(!available && process.env.CI !== 'true')('promtool check metrics', () => {
  let svc: TestService;
  let exposition: string;

  beforeAll(async () => {
    svc = await startTestService(createTestAgent().definition);
    const base = await svc.app.listen({ port: 0, host: '127.0.0.1' });
    const jobs = [
      { kind: 'echo', input: { message: 'ok' } },
      { kind: 'flaky', input: { failures: 1 } },
      { kind: 'fail', input: { retryable: false } },
      { kind: 'fail', input: { retryable: true }, max_attempts: 2 },
    ];
    for (const job of jobs) {
      const res = await postJob(base, job);
      expect(res.status).toBe(202);
      await waitForTerminal(base, JobAccepted.parse(await res.json()).job_id);
    }
    await postJob(base, '{"kind":');
    svc.metrics.add('tinyllama', 'prompt', 5);
    exposition = await (await fetch(`${base}/metrics`)).text();
  });
  afterAll(async () => {
    await svc?.close(100);
  });

  it('the exposition has samples of every spec family', () => {
    const names = new Set(parseSamples(exposition).map((s) => s.name));
    for (const family of Object.keys(SPEC_FAMILIES)) {
      const name = `sutazai_agents_${family}`;
      expect(
        [name, `${name}_bucket`].some((n) => names.has(n)),
        name,
      ).toBe(true);
    }
  });

  it('parses, with no lint findings but the tolerated unit suffix of the _ms histograms', () => {
    const result = promtool(exposition);
    expect(result.other, 'promtool parse errors').toEqual([]);
    const untolerated = result.findings.filter((f) => !(MS_NAMES.has(f.metric) && TOLERATED.test(f.message)));
    expect(untolerated, 'promtool lint findings').toEqual([]);
    expect([0, 3], `promtool exit status ${result.status}`).toContain(result.status);
  });

  it('reports parse errors and lint findings outside the tolerated ones (the check can fail)', () => {
    const broken = promtool(`${exposition}sutazai_agents_broken{agent="x" 1\n`);
    expect(broken.status).not.toBe(0);
    expect(broken.other.join('\n')).toMatch(/pars/i);
    const gauge =
      '# HELP sutazai_agents_things_total Things.\n# TYPE sutazai_agents_things_total gauge\nsutazai_agents_things_total 1\n';
    const linted = promtool(exposition + gauge);
    const untolerated = linted.findings.filter((f) => !(MS_NAMES.has(f.metric) && TOLERATED.test(f.message)));
    expect(untolerated.map((f) => f.metric)).toEqual(['sutazai_agents_things_total']);
    expect(untolerated[0]?.message).toMatch(/_total/);
  });
});

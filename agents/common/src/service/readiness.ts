import type { CheckResult, DependencyCheck } from '../ports/readiness.js';

/** Outcome of all checks. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
  failing: string[];
}

/** Runs every check in parallel, each bounded by `timeoutMs`; a throw or timeout counts as not ready. */
export async function checkReadiness(
  checks: readonly DependencyCheck[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, CheckResult]> => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const r = await Promise.race([
          c.check(signal),
          new Promise<CheckResult>((resolve) =>
            signal.addEventListener('abort', () =>
              resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
            ),
          ),
        ]);
        return [c.name, r];
      } catch (err) {
        return [c.name, { ok: false, detail: err instanceof Error ? err.message : String(err) }];
      }
    }),
  );
  const checksOut = Object.fromEntries(results);
  const failing = results.filter(([, r]) => !r.ok).map(([n]) => n);
  return { ready: failing.length === 0, checks: checksOut, failing };
}

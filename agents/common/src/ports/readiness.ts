/** Outcome of one dependency check. */
export interface CheckResult {
  ok: boolean;
  /** Why it is not ready (shown in the 503 body of `/ready`). */
  detail?: string;
}

/** A dependency `/ready` must see reachable and warm. */
export interface DependencyCheck {
  /** Stable name shown in `/ready` (e.g. `redis`, `ollama`, `agent:planner`). */
  readonly name: string;
  /** Resolves quickly; must honour the signal (checks run with a timeout). */
  check(signal: AbortSignal): Promise<CheckResult>;
}

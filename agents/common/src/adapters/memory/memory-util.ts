/**
 * Copies a JSON-safe value the way a wire round trip would, so the memory adapter hands out values
 * shaped exactly like the ones a Redis or Postgres adapter returns (and callers cannot reach into
 * the store through a shared reference).
 */
export function copyJson<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Runs synchronous work as a promise; a throw becomes a rejection rather than escaping the caller. */
export function settle<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}

import type { CheckResult, DependencyCheck } from '../../ports/readiness.js';
import type { OllamaHttp } from './ollama-http.js';

/** Ollama's canonical form of a model name: a missing tag means `:latest`. */
export function canonicalModelName(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}

/** Canonical names listed in a `/api/tags` or `/api/ps` answer (`{"models":[{"name","model"}]}`). */
export function listedModels(body: unknown): Set<string> {
  const names = new Set<string>();
  const models = typeof body === 'object' && body !== null && 'models' in body ? body.models : undefined;
  if (!Array.isArray(models)) return names;
  for (const entry of models as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const key of ['name', 'model'] as const) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === 'string') names.add(canonicalModelName(value));
    }
  }
  return names;
}

/**
 * The `ollama` readiness check: ok only when the server answers `/api/tags`, every model the client
 * uses is pulled, and the text model is loaded (listed by `/api/ps`). The detail names the failing step.
 */
export function ollamaReadiness(
  http: OllamaHttp,
  model: string,
  otherModels: readonly string[],
): DependencyCheck {
  return {
    name: 'ollama',
    async check(signal: AbortSignal): Promise<CheckResult> {
      const ctx = { signal, retry: false, details: { model } };
      let tags: unknown;
      try {
        tags = await http.json('GET', '/api/tags', undefined, ctx);
      } catch (err) {
        return { ok: false, detail: `Ollama at ${http.baseUrl} unreachable: ${messageOf(err)}` };
      }
      const pulled = listedModels(tags);
      for (const name of [model, ...otherModels]) {
        if (!pulled.has(canonicalModelName(name))) {
          return { ok: false, detail: `model "${name}" not found on Ollama (not pulled)` };
        }
      }
      let ps: unknown;
      try {
        ps = await http.json('GET', '/api/ps', undefined, ctx);
      } catch (err) {
        return {
          ok: false,
          detail: `Ollama at ${http.baseUrl} did not list running models: ${messageOf(err)}`,
        };
      }
      if (!listedModels(ps).has(canonicalModelName(model))) {
        return { ok: false, detail: `model "${model}" not loaded (not in /api/ps); warm-up pending` };
      }
      return { ok: true };
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

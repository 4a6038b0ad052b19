/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family's `# HELP` and `# TYPE`. */
export interface Family {
  help?: string;
  type?: string;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the samples of an exposition; throws on a line that is neither a comment nor a sample. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL_RE)) labels[l[1] ?? ''] = l[2] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** Reads the `# HELP` / `# TYPE` lines of an exposition, by family name. */
export function parseFamilies(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const family = families.get(m[2] ?? '') ?? {};
    if (m[1] === 'HELP') family.help = m[3];
    else family.type = m[3];
    families.set(m[2] ?? '', family);
  }
  return families;
}

/** The spec's metric families (SPEC §7), without the namespace, with their Prometheus types. */
export const SPEC_FAMILIES = {
  tasks_total: 'counter',
  task_latency_ms: 'histogram',
  queue_depth: 'gauge',
  model_tokens_total: 'counter',
  errors_total: 'counter',
} as const;

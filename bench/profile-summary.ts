/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --cpu-prof`): for each
 * profile, where the time went by self time — top functions, and totals by package or folder — so
 * the hot path of a slow scenario can be named.
 *
 *   npx tsx bench/profile-summary.ts <folder-or-file.cpuprofile> [--top 25]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time in ms by key, largest first. */
export type Ranking = [string, number][];

/** Where a script lives, as a short group: a package name, a workspace folder or a Node builtin. */
export function groupOf(url: string): string {
  if (url === '') return '(native / idle / gc)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const m = /\/(agents\/[^/]+\/src\/[^/]+|backend\/src\/[^/]+|bench\/[^/]+)/.exec(url);
  return m?.[1] ?? url;
}

/** Self time (ms) per function and per group of one profile. */
export function summarizeProfile(p: CpuProfile): { totalMs: number; byFunction: Ranking; byGroup: Ranking } {
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const fn = new Map<string, number>();
  const group = new Map<string, number>();
  for (const node of p.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const g = groupOf(url);
    group.set(g, (group.get(g) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>): Ranking => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: (p.endTime - p.startTime) / 1000, byFunction: rank(fn), byGroup: rank(group) };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const top = Number(values.top);
  for (const target of positionals) {
    const files = statSync(target).isDirectory()
      ? readdirSync(target)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(target, f))
      : [target];
    for (const file of files) {
      const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
      const busy = s.byGroup.filter(([g]) => g !== '(native / idle / gc)').reduce((a, [, ms]) => a + ms, 0);
      console.log(
        `\n${file}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(2)} s in JS`,
      );
      console.log('  by package / folder (self time):');
      for (const [g, ms] of s.byGroup.slice(0, top)) console.log(`    ${ms.toFixed(0).padStart(7)} ms  ${g}`);
      console.log('  by function (self time):');
      for (const [f, ms] of s.byFunction.slice(0, top))
        console.log(`    ${ms.toFixed(0).padStart(7)} ms  ${f}`);
    }
  }
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();

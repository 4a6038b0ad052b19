/**
 * `npm run bench`: measures what SPEC §8 promises and the platform's own overhead next to the
 * ceilings of the parts it is made of, in one run on this machine; prints a table, writes
 * bench/results/*.json and a chart, and (full runs) the latest results into bench/README.md.
 *
 *   npm run bench                 full run (both stacks, ≤ 5 min on 2 cores)
 *   npm run bench -- --quick      embedded stack, short phases (≤ 60 s)
 *   options: --stacks embedded,redis-postgres  --cpu-prof  --port-offset 2000  --log-level info
 *            --redis redis://127.0.0.1:6379  --pg postgres://postgres@127.0.0.1:5432/postgres  --no-readme
 *            --from bench/results/latest.json   (render an earlier run again, measuring nothing)
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../scripts/lib/workspace.js';
import { measureBullmq, measureFastify } from './lib/baselines.js';
import { measureChain } from './lib/chain.js';
import { renderChart, svgToPng } from './lib/chart.js';
import { samplePassages } from './lib/corpus.js';
import { prepareDistributed, type DistributedStorage } from './lib/distributed.js';
import { machineInfo } from './lib/machine.js';
import { ANSWER_TOKENS, MODEL_PROFILES } from './lib/model-profile.js';
import { startModelServer, type ModelServer } from './lib/model-server-process.js';
import { benchPlan, type BenchPlan } from './lib/plan.js';
import { baselineTable, breakdownTable, problemLines, renderText, sloTable } from './lib/report.js';
import { updateReadme } from './lib/readme.js';
import type { BenchResults, StackResult } from './lib/results.js';
import { measureStack } from './lib/scenarios.js';
import { startStack, type BenchStack } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    stacks: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'port-offset': { type: 'string', default: '2000' },
    'log-level': { type: 'string', default: 'info' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'no-readme': { type: 'boolean', default: false },
    from: { type: 'string' },
  },
});

const plan: BenchPlan = benchPlan(values.quick ? 'quick' : 'full');
if (values.stacks) {
  const known: string[] = ['embedded', 'redis-postgres'];
  const asked = values.stacks.split(',');
  const unknown = asked.filter((s) => !known.includes(s));
  if (unknown.length) {
    process.stderr.write(`--stacks takes ${known.join(', ')}; not ${unknown.join(', ')}\n`);
    process.exit(2);
  }
  plan.stacks = asked as BenchPlan['stacks'];
}
const started = Date.now();
const log = (line: string): void => void process.stdout.write(`${line}\n`);
/** Progress lines carry the time since the start. */
const progress = (line: string): void =>
  log(line.startsWith(' ') ? line : `${line}  (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
const cleanups: (() => Promise<void>)[] = [];

// Everything is bounded: whatever still runs after this is stopped and the run fails.
const watchdog = setTimeout(
  () => {
    log('bench: time limit reached; stopping');
    void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(1));
  },
  (values.quick ? 3 : 10) * 60_000,
);
watchdog.unref();
const abort = (code: number) => (): void =>
  void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(code));
process.on('SIGINT', abort(130));
process.on('SIGTERM', abort(143));
process.on('unhandledRejection', (err) => {
  log(`bench failed: ${String(err)}`);
  abort(1)();
});

async function runStack(label: BenchPlan['stacks'][number], model: ModelServer): Promise<StackResult> {
  const env: Record<string, string> = {
    OLLAMA_BASE_URL: model.url,
    MODEL_ID: 'tinyllama',
    LOG_LEVEL: values['log-level'],
  };
  let storage: DistributedStorage | undefined;
  if (label === 'redis-postgres') {
    try {
      storage = await prepareDistributed(values.redis, values.pg);
    } catch (err) {
      return {
        label,
        problems: [],
        skipped: `Redis/Postgres not usable: ${String(err)}`,
        zero: { single: {} },
      };
    }
    Object.assign(env, storage.env);
  }
  const cpuProfDir = values['cpu-prof']
    ? mkdtempSync(join(tmpdir(), `sutazai-bench-prof-${label}-`))
    : undefined;
  let stack: BenchStack | undefined;
  const stop = async (): Promise<void> => {
    await stack?.stop();
    await storage
      ?.cleanup()
      .catch((err: unknown) => log(`cleanup of ${label} storage failed: ${String(err)}`));
  };
  cleanups.push(stop);
  try {
    progress(`[${label}] starting the stack`);
    stack = await startStack({
      label,
      portOffset: Number(values['port-offset']),
      env,
      ...(cpuProfDir ? { cpuProfDir } : {}),
    });
    if (stack.unusable !== undefined) {
      return { label, problems: [], skipped: `no agent started: ${stack.unusable}`, zero: { single: {} } };
    }
    return await measureStack({ stack, model, plan, log: progress });
  } finally {
    await stop();
    cleanups.splice(cleanups.indexOf(stop), 1);
    if (cpuProfDir) log(`[${label}] CPU profiles: ${cpuProfDir}`);
  }
}

async function measure(): Promise<BenchResults> {
  progress(`bench: ${plan.mode} run, stacks ${plan.stacks.join(', ')}`);
  const model = await startModelServer(MODEL_PROFILES.zero);
  cleanups.push(() => model.stop());
  const results: BenchResults = {
    schema: 'sutazai-bench.v1',
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    mode: plan.mode,
    machine: machineInfo(),
    modelProfiles: MODEL_PROFILES,
    answerTokens: ANSWER_TOKENS,
    stacks: [],
    baselines: { errors: [] },
  };
  const sizes = {
    sequentialN: plan.baseline.n,
    sequentialMaxMs: plan.baseline.maxMs,
    durationMs: plan.baseline.durationMs,
    concurrency: plan.agent.concurrency,
  };
  const body = {
    kind: 'plan.create',
    input: { question: 'What does the job queue do?', context: samplePassages() },
  };
  progress('[baselines] bare Fastify route');
  try {
    results.baselines.fastify = await measureFastify(sizes, body);
  } catch (err) {
    results.baselines.errors.push(`fastify: ${String(err)}`);
  }
  progress('[baselines] bare BullMQ add → process');
  try {
    results.baselines.bullmq = await measureBullmq(sizes, values.redis);
  } catch (err) {
    results.baselines.errors.push(`bullmq: ${String(err)}`);
  }
  progress('[baselines] in-process chain of the four capabilities');
  const chainSizes = { ...plan.chain, concurrency: plan.pipeline.concurrency };
  results.baselines.chain = await measureChain(model.url, chainSizes).catch((err: unknown) => ({
    missing: [],
    error: String(err),
  }));

  for (const label of plan.stacks) results.stacks.push(await runStack(label, model));
  await model.stop();
  results.durationS = Math.round((Date.now() - started) / 100) / 10;
  results.machine.loadAvg.end = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  return results;
}

/** Writes the JSON (unless it was read from there), the chart and the tables; full runs update the README. */
async function publish(results: BenchResults, write: boolean): Promise<void> {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const name = results.mode === 'full' ? 'latest' : 'quick';
  if (write) writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const svg = renderChart(results);
  writeFileSync(join(dir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) writeFileSync(join(dir, `${name}.png`), png);
  log('');
  for (const p of problemLines(results)) log(`note: ${p}`);
  for (const table of [sloTable(results), baselineTable(results), breakdownTable(results)]) {
    log('');
    log(renderText(table));
  }
  log('');
  log(
    `results: bench/results/${name}.json, chart: bench/results/${name}.${png ? 'png' : 'svg'} (${results.durationS} s)`,
  );
  if (results.mode === 'full' && !values['no-readme']) {
    await updateReadme(join(ROOT, 'bench/README.md'), results, `results/${name}.${png ? 'png' : 'svg'}`);
    log('bench/README.md updated with these results');
  }
}

async function main(): Promise<void> {
  // `--from <json>` renders an earlier run again (tables, chart, README) without measuring.
  if (values.from) await publish(JSON.parse(readFileSync(values.from, 'utf8')) as BenchResults, false);
  else await publish(await measure(), true);
}

try {
  await main();
  clearTimeout(watchdog);
  process.exit(0);
} catch (err) {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await Promise.allSettled(cleanups.map((c) => c()));
  process.exit(1);
}

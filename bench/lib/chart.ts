/**
 * The chart of a run, as SVG (rendered to PNG with resvg, fonts from the system): on the left the
 * latency distributions (empirical CDFs of client-side samples, log time axis) of the platform next
 * to its ceilings; on the right throughput of the platform next to the same ceilings.
 */
import type { BenchResults } from './results.js';
import { fmtRate } from './report.js';

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: [number, number][];
}

interface Bar {
  label: string;
  value: number;
  color: string;
}

const W = 1280;
const FONT = 'DejaVu Sans, Verdana, sans-serif';
const COLORS = {
  ceiling: '#7f7f7f',
  planner: '#1f77b4',
  verifier: '#17becf',
  rag: '#d62728',
  slo: '#9467bd',
  chain: '#2ca02c',
  queue: '#ff7f0e',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(
  x: number,
  y: number,
  s: string,
  opts: { size?: number; anchor?: string; weight?: string; fill?: string } = {},
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${opts.size ?? 12}" text-anchor="${opts.anchor ?? 'start'}" font-weight="${opts.weight ?? 'normal'}" fill="${opts.fill ?? '#222'}">${esc(s)}</text>`;
}

function seriesOf(r: BenchResults): Series[] {
  const out: Series[] = [];
  const add = (
    label: string,
    color: string,
    dashed: boolean,
    points: [number, number][] | undefined,
  ): void => {
    if (points && points.length > 1) out.push({ label, color, dashed, points });
  };
  add('bare Fastify route', COLORS.ceiling, false, r.baselines.fastify?.latency.cdf);
  add('bare BullMQ add→done', COLORS.queue, false, r.baselines.bullmq?.latency.cdf);
  add('in-process chain', COLORS.chain, false, r.baselines.chain?.latency?.cdf);
  r.stacks.forEach((s, i) => {
    if (s.skipped) return;
    const dashed = i > 0;
    const tag = r.stacks.length > 1 ? ` (${s.label})` : '';
    add(`planner task${tag}`, COLORS.planner, dashed, s.zero.single.planner?.latency.cdf);
    add(`verifier task${tag}`, COLORS.verifier, dashed, s.zero.single.verifier?.latency.cdf);
    add(`RAG end to end${tag}`, COLORS.rag, dashed, s.zero.rag?.latency.cdf);
    add(`RAG, tinyllama-like${tag}`, COLORS.slo, dashed, s.slo?.rag?.latency.cdf);
  });
  return out;
}

function barsOf(r: BenchResults): Bar[] {
  const out: Bar[] = [];
  const add = (label: string, value: number | undefined, color: string): void => {
    if (value !== undefined && Number.isFinite(value) && value > 0) out.push({ label, value, color });
  };
  add('bare Fastify route, req/s', r.baselines.fastify?.perS, COLORS.ceiling);
  add('bare BullMQ, jobs/s', r.baselines.bullmq?.perS, COLORS.queue);
  for (const s of r.stacks) {
    if (!s.skipped) add(`planner (${s.label}), jobs/s`, s.zero.agent?.capacity.tally.okPerS, COLORS.planner);
  }
  add('in-process chain, answers/s', r.baselines.chain?.perS, COLORS.chain);
  for (const s of r.stacks) {
    if (!s.skipped)
      add(`pipelines (${s.label}), answers/s`, s.zero.pipeline?.capacity.tally.okPerS, COLORS.rag);
  }
  return out;
}

/** The run's chart as an SVG document. */
export function renderChart(r: BenchResults): string {
  const series = seriesOf(r);
  const H = Math.max(560, 80 + 380 + 58 + Math.ceil(series.length / 2) * 16 + 10);
  const parts: string[] = [`<rect width="${W}" height="${H}" fill="white"/>`];
  const m = r.machine;
  parts.push(
    text(24, 30, 'SutazAI Agents — platform overhead next to its ceilings', { size: 18, weight: 'bold' }),
  );
  parts.push(
    text(
      24,
      50,
      `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${r.mode} run ${r.startedAt.slice(0, 16)}Z, commit ${m.gitSha}`,
      { size: 12, fill: '#555' },
    ),
  );

  // Left: CDFs on a log time axis.
  const L = { x: 70, y: 80, w: 560, h: 380 };
  const lo = 0.03;
  const hi = 30_000;
  const xOf = (ms: number): number =>
    L.x +
    ((Math.log10(Math.min(hi, Math.max(lo, ms))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * L.w;
  const yOf = (f: number): number => L.y + L.h - f * L.h;
  parts.push(
    text(L.x, L.y - 10, 'Latency, one request at a time (client side, zero-latency model unless noted)', {
      size: 13,
      weight: 'bold',
    }),
  );
  const ticks: [number, string][] = [
    [0.1, '0.1 ms'],
    [1, '1 ms'],
    [10, '10 ms'],
    [100, '100 ms'],
    [1000, '1 s'],
    [10_000, '10 s'],
  ];
  for (const [ms, label] of ticks) {
    parts.push(`<line x1="${xOf(ms)}" y1="${L.y}" x2="${xOf(ms)}" y2="${L.y + L.h}" stroke="#e5e5e5"/>`);
    parts.push(text(xOf(ms), L.y + L.h + 16, label, { anchor: 'middle', size: 11 }));
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.99]) {
    parts.push(
      `<line x1="${L.x}" y1="${yOf(f)}" x2="${L.x + L.w}" y2="${yOf(f)}" stroke="${f === 0.5 || f === 0.99 ? '#cccccc' : '#eeeeee'}"/>`,
    );
    parts.push(
      text(L.x - 6, yOf(f) + 4, f === 0.99 ? 'p99' : f === 0.5 ? 'p50' : `${f * 100}%`, {
        anchor: 'end',
        size: 11,
      }),
    );
  }
  parts.push(`<rect x="${L.x}" y="${L.y}" width="${L.w}" height="${L.h}" fill="none" stroke="#999"/>`);
  parts.push(text(L.x + L.w / 2, L.y + L.h + 34, 'latency (log scale)', { anchor: 'middle', size: 12 }));
  for (const s of series) {
    const d = s.points
      .map(([ms, f], i) => `${i ? 'L' : 'M'}${xOf(ms).toFixed(1)},${yOf(f).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
  }
  series.forEach((s, i) => {
    const y = L.y + L.h + 58 + Math.floor(i / 2) * 16;
    const x = L.x + (i % 2) * 290;
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    parts.push(text(x + 28, y, s.label, { size: 11 }));
  });

  // Right: throughput bars on a log axis.
  const R = { x: 900, y: 80, w: 340, h: 380 };
  parts.push(
    text(700, R.y - 10, 'Throughput with the platform\u2019s clients in flight (log scale)', {
      size: 13,
      weight: 'bold',
    }),
  );
  const bars = barsOf(r);
  const max = Math.max(10, ...bars.map((b) => b.value));
  const top = 10 ** Math.ceil(Math.log10(max));
  const bx = (v: number): number => R.x + (Math.log10(Math.max(1, v)) / Math.log10(top)) * R.w;
  for (let v = 1; v <= top; v *= 10) {
    parts.push(`<line x1="${bx(v)}" y1="${R.y}" x2="${bx(v)}" y2="${R.y + R.h}" stroke="#e5e5e5"/>`);
    parts.push(
      text(bx(v), R.y + R.h + 16, v >= 1000 ? `${v / 1000}k` : String(v), { anchor: 'middle', size: 11 }),
    );
  }
  const slot = R.h / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const y = R.y + i * slot + slot * 0.2;
    const h = slot * 0.6;
    parts.push(text(R.x - 8, y + h / 2 + 4, b.label, { anchor: 'end', size: 11 }));
    parts.push(
      `<rect x="${R.x}" y="${y.toFixed(1)}" width="${(bx(b.value) - R.x).toFixed(1)}" height="${h.toFixed(1)}" fill="${b.color}" opacity="0.85"/>`,
    );
    parts.push(text(bx(b.value) + 4, y + h / 2 + 4, fmtRate(b.value), { size: 11 }));
  });
  parts.push(`<rect x="${R.x}" y="${R.y}" width="${R.w}" height="${R.h}" fill="none" stroke="#999"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">\n${parts.join('\n')}\n</svg>\n`;
}

/** PNG of an SVG via resvg (a devDependency); undefined when it is not installed. */
export async function svgToPng(svg: string): Promise<Buffer | undefined> {
  try {
    const { Resvg } = await import('@resvg/resvg-js');
    const png = new Resvg(svg, {
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      fitTo: { mode: 'zoom', value: 1.5 },
    })
      .render()
      .asPng();
    return Buffer.from(png);
  } catch {
    return undefined;
  }
}

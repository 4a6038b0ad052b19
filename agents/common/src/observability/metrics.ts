import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TokenCounter } from '../ports/llm.js';

/** Latency buckets in milliseconds, from sub-millisecond platform overhead to minute-long model calls. */
export const LATENCY_BUCKETS_MS = [
  0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000,
];

/** Options of {@link createAgentMetrics}. */
export interface AgentMetricsOptions {
  namespace: string;
  agent: string;
  /** Collect Node process metrics (CPU, memory, event loop) too. */
  processMetrics?: boolean;
}

/**
 * The agent's Prometheus metrics (SPEC §7), on a registry of its own (no global state). Label values
 * are bounded: agent, job kind, status, model, role, error type, route pattern — never ids.
 */
export class AgentMetrics implements TokenCounter {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly tasks: Counter<'agent' | 'kind' | 'status'>;
  private readonly taskLatency: Histogram<'agent' | 'kind'>;
  private readonly queueTime: Histogram<'agent' | 'kind'>;
  private readonly decisionLatency: Histogram<'agent'>;
  private readonly queueDepth: Gauge<'agent'>;
  private readonly tokens: Counter<'agent' | 'model' | 'role'>;
  private readonly errors: Counter<'agent' | 'type'>;
  private readonly http: Histogram<'agent' | 'method' | 'route' | 'status'>;
  private depthSource: (() => Promise<number>) | undefined;

  constructor(private readonly opts: AgentMetricsOptions) {
    const ns = opts.namespace;
    const registers = [this.registry];
    this.tasks = new Counter({
      name: `${ns}_tasks_total`,
      help: 'Jobs that reached a terminal status, by kind and status.',
      labelNames: ['agent', 'kind', 'status'],
      registers,
    });
    this.taskLatency = new Histogram({
      name: `${ns}_task_latency_ms`,
      help: 'Time from job start to terminal status, in milliseconds.',
      labelNames: ['agent', 'kind'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    this.queueTime = new Histogram({
      name: `${ns}_queue_time_ms`,
      help: 'Time a job waited in the queue before a worker started it, in milliseconds.',
      labelNames: ['agent', 'kind'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    this.decisionLatency = new Histogram({
      name: `${ns}_decision_latency_ms`,
      help: 'Orchestrator decision latency: job picked up to first step dispatched, in milliseconds.',
      labelNames: ['agent'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    const readDepth = (): Promise<number> | undefined => this.depthSource?.();
    this.queueDepth = new Gauge({
      name: `${ns}_queue_depth`,
      help: 'Jobs waiting in the agent queue (including delayed retries).',
      labelNames: ['agent'],
      registers,
      async collect() {
        const depth = readDepth();
        if (depth) this.set({ agent: opts.agent }, await depth);
      },
    });
    this.tokens = new Counter({
      name: `${ns}_model_tokens_total`,
      help: 'Model tokens counted by the model server, by model and role (prompt or completion).',
      labelNames: ['agent', 'model', 'role'],
      registers,
    });
    this.errors = new Counter({
      name: `${ns}_errors_total`,
      help: 'Errors by type (the stable error code).',
      labelNames: ['agent', 'type'],
      registers,
    });
    this.http = new Histogram({
      name: `${ns}_http_request_duration_ms`,
      help: 'HTTP request duration by route pattern, in milliseconds.',
      labelNames: ['agent', 'method', 'route', 'status'],
      buckets: LATENCY_BUCKETS_MS,
      registers,
    });
    if (opts.processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: `${ns}_` });
      // prom-client names some gauges `*_total` (active handles/requests/resources), which breaks the
      // exposition convention promtool checks; the `*_total`-less siblings carry the same numbers.
      for (const m of this.registry.getMetricsAsArray()) {
        const name = (m as unknown as { name: string }).name;
        if (name.endsWith('_total') && (m as unknown as { type?: string }).type === 'gauge') {
          this.registry.removeSingleMetric(name);
        }
      }
    }
  }

  /** Sets where the queue depth gauge reads from at scrape time. */
  setQueueDepthSource(source: () => Promise<number>): void {
    this.depthSource = source;
  }

  /** Records a job reaching a terminal status. */
  taskFinished(kind: string, status: string, latencyMs: number | undefined): void {
    this.tasks.inc({ agent: this.opts.agent, kind, status });
    if (latencyMs !== undefined) this.taskLatency.observe({ agent: this.opts.agent, kind }, latencyMs);
  }

  /** Records how long a job waited before it started. */
  queueWaited(kind: string, ms: number): void {
    this.queueTime.observe({ agent: this.opts.agent, kind }, Math.max(0, ms));
  }

  /** Records an orchestrator decision latency. */
  decided(ms: number): void {
    this.decisionLatency.observe({ agent: this.opts.agent }, ms);
  }

  /** Counts model tokens (implements the LLM port's TokenCounter). */
  add(model: string, role: 'prompt' | 'completion', n: number): void {
    if (n > 0) this.tokens.inc({ agent: this.opts.agent, model, role }, n);
  }

  /** Counts an error by its stable code. */
  error(type: string): void {
    this.errors.inc({ agent: this.opts.agent, type });
  }

  /** Records one HTTP request. */
  httpRequest(method: string, route: string, status: number, ms: number): void {
    this.http.observe({ agent: this.opts.agent, method, route, status: String(status) }, ms);
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

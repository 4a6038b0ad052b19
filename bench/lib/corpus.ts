/**
 * The bench's documents and questions: generated, deterministic, the same on every machine and run,
 * so results stay comparable (the project's own docs change from commit to commit).
 */

interface Topic {
  name: string;
  what: string;
  does: string;
  knob: string;
  fails: string;
}

const TOPICS: Topic[] = [
  {
    name: 'job queue',
    what: 'a bounded queue of jobs per agent',
    does: 'hands each job to one worker at a time',
    knob: 'AGENT_MAX_QUEUE_DEPTH',
    fails: 'answers 503 with Retry-After when the queue is full',
  },
  {
    name: 'deadline',
    what: 'the time budget of a job',
    does: 'expires queued jobs whose budget ran out',
    knob: 'AGENT_DEFAULT_DEADLINE_MS',
    fails: 'aborts the model call of a running job past its deadline',
  },
  {
    name: 'retry policy',
    what: 'capped exponential backoff with jitter',
    does: 'retries transient failures of a job',
    knob: 'AGENT_MAX_ATTEMPTS',
    fails: 'moves an exhausted job to the dead-letter queue',
  },
  {
    name: 'tenant quota',
    what: 'a token bucket per tenant',
    does: 'limits how fast one tenant submits jobs',
    knob: 'TENANT_RATE_PER_S',
    fails: 'answers 429 with Retry-After when the bucket is empty',
  },
  {
    name: 'metrics endpoint',
    what: 'the Prometheus exposition of every agent',
    does: 'counts tasks, tokens, errors and latencies',
    knob: 'PROMETHEUS_NAMESPACE',
    fails: 'keeps label values bounded so scrapes stay small',
  },
  {
    name: 'document ingest',
    what: 'chunking and embedding of uploaded documents',
    does: 'splits markdown by headings into passages',
    knob: 'EMBED_MODEL',
    fails: 'replaces the chunks of a document ingested again',
  },
  {
    name: 'model server',
    what: 'Ollama serving the local language model',
    does: 'streams generated tokens to the generator',
    knob: 'OLLAMA_BASE_URL',
    fails: 'lets the generator answer extractively when unreachable',
  },
  {
    name: 'backend mesh',
    what: 'the public gateway in front of the agents',
    does: 'routes questions to the orchestrator',
    knob: 'MESH_PORT',
    fails: 'relays the event stream of a job to the client',
  },
  {
    name: 'verifier',
    what: 'the grounding check of generated answers',
    does: 'compares each sentence with the cited passage',
    knob: 'VERIFY_THRESHOLD',
    fails: 'returns a failing verdict with a reason per sentence',
  },
  {
    name: 'planner',
    what: 'the step planner of the pipeline',
    does: 'turns a question and its passages into a plan',
    knob: 'PLAN_MAX_STEPS',
    fails: 'falls back to a deterministic plan without a model',
  },
  {
    name: 'event stream',
    what: 'server-sent events of a job',
    does: 'numbers every event so a client can resume',
    knob: 'SSE_HEARTBEAT_MS',
    fails: 'replays missed events after Last-Event-ID',
  },
  {
    name: 'idempotency key',
    what: 'the header that deduplicates submissions',
    does: 'returns the same job for the same key and body',
    knob: 'IDEMPOTENCY_TTL_S',
    fails: 'answers 422 when a key is reused with another body',
  },
];

function section(heading: string, lines: string[]): string {
  return `## ${heading}\n\n${lines.join(' ')}`;
}

/** One markdown document per topic, three sections each (about 250 words). */
export function benchDocuments(): {
  id: string;
  source: string;
  text: string;
  content_type: 'text/markdown';
}[] {
  return TOPICS.map((t, i) => {
    const slug = t.name.replace(/\s+/g, '-');
    const text = [
      `# The ${t.name}`,
      section('Overview', [
        `The ${t.name} is ${t.what}.`,
        `In normal operation it ${t.does}, and every agent built from the kit shares this behaviour.`,
        `Operators see its state on the dashboards and in the logs of each agent, tagged with the trace id.`,
      ]),
      section('Configuration', [
        `The ${t.name} is configured with ${t.knob}.`,
        `The value is validated once at start, and a bad value stops the service with a message naming ${t.knob}.`,
        `The defaults suit one machine with two cores; larger deployments raise ${t.knob} with care.`,
      ]),
      section('Failure handling', [
        `Under load or failure the ${t.name} ${t.fails}.`,
        `Clients read the status and the problem code to decide whether to try again later.`,
        `Document ${i + 1} of the bench corpus describes the ${t.name}; the others describe the rest of the platform.`,
      ]),
    ].join('\n\n');
    return {
      id: `bench/${slug}.md`,
      source: `bench/${slug}.md`,
      text,
      content_type: 'text/markdown' as const,
    };
  });
}

/** Questions over the corpus, one per topic and aspect, in a fixed order. */
export function benchQuestions(): string[] {
  const out: string[] = [];
  for (const t of TOPICS) {
    out.push(`What does the ${t.name} do?`);
    out.push(`How is the ${t.name} configured?`);
    out.push(`What happens to the ${t.name} under load or failure?`);
  }
  return out;
}

/** Passages as the retriever returns them, for calling the planner and verifier directly. */
export function samplePassages(n = 5): { chunk_id: string; source: string; text: string; score: number }[] {
  return benchDocuments()
    .slice(0, n)
    .map((d, i) => ({
      chunk_id: `${d.id}#1`,
      source: d.source,
      text: d.text.split('\n\n').slice(1, 3).join(' ').replace(/#+ /g, ''),
      score: 1 - i / 10,
    }));
}

import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { contractJsonSchemas, schemaTitle } from './json-schema.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { SCHEMA_VERSION, TenantId } from './schemas.js';

/** One job kind as the OpenAPI document describes it (the shape of a kind in `GET /v1/agent`). */
export interface OpenApiKind {
  kind: string;
  description: string;
  input_schema: object;
  output_schema: object;
  example: object;
}

/** What {@link buildOpenApi} needs to know about an agent. */
export interface OpenApiAgent {
  name: string;
  version: string;
  description: string;
  kinds: OpenApiKind[];
}

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const response = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const json = (schema: Json, extra: Json = {}): Json => ({
  content: { 'application/json': { schema, ...extra } },
});

/** Problem statuses each operation can answer with, besides its successes. */
const PROBLEM_STATUSES = [400, 404, 409, 413, 415, 422, 429, 503] as const;

/** Statuses whose answers carry `Retry-After`. */
const RETRY_AFTER_STATUSES = new Set<number>([429, 503]);

/** Component name of a kind's input, output, request and record schemas. */
function kindComponent(kind: string, part: 'Input' | 'Output' | 'JobRequest' | 'JobRecord'): string {
  return part === 'Input' || part === 'Output' ? `${kind}.${part}` : `${part}.${kind}`;
}

/** True when a schema holds a same-document `$ref`, which needs its own `$id` once embedded. */
function hasLocalRef(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasLocalRef);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(
    ([k, v]) => (k === '$ref' && typeof v === 'string' && v.startsWith('#')) || hasLocalRef(v),
  );
}

/**
 * Makes a standalone JSON Schema fit to live under `components.schemas`: `$schema` goes (the
 * document's dialect governs) and a schema with internal `$ref`s keeps them resolvable by its own `$id`.
 */
function embed(schema: object, idIfNeeded: string): Json {
  const { $schema: _dialect, ...rest } = schema as Json;
  if (rest.$id === undefined && hasLocalRef(rest)) return { $id: idIfNeeded, ...rest };
  return rest;
}

/** The codes of the catalogue answered with one status, for the response's description. */
function codesFor(status: number): string[] {
  return Object.entries(ERROR_CODES)
    .filter(([, spec]) => spec.status === status)
    .map(([code]) => code);
}

function problemResponses(): Json {
  const out: Json = {};
  for (const status of PROBLEM_STATUSES) {
    const codes = codesFor(status);
    out[`Problem${status}`] = {
      description: `Problem details; \`code\` is one of: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      ...(RETRY_AFTER_STATUSES.has(status)
        ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } }
        : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
    };
  }
  return out;
}

function problems(...statuses: (typeof PROBLEM_STATUSES)[number][]): Json {
  return Object.fromEntries(statuses.map((s) => [String(s), response(`Problem${s}`)]));
}

function parameters(): Json {
  const header = (name: string, description: string, schema: Json, required = false): Json => ({
    name,
    in: 'header',
    required,
    description,
    schema,
  });
  const { $schema: _dialect, ...tenantSchema } = z.toJSONSchema(TenantId, { io: 'input' }) as Json;
  return {
    IdempotencyKey: header(
      'Idempotency-Key',
      'Same key and body within the expiry window (24 h by default) returns the first answer and runs the job once; the same key with another body is rejected with 422.',
      { type: 'string', minLength: 1 },
    ),
    Prefer: header('Prefer', '`wait=N` answers 200 with the record when the job finishes within N seconds.', {
      type: 'string',
      examples: ['wait=10'],
    }),
    TenantId: header('X-Tenant-Id', 'The tenant the request acts for.', tenantSchema),
    Traceparent: header('traceparent', 'W3C Trace Context of the caller.', {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    }),
    LastEventId: header('Last-Event-ID', 'Resume after this event id: only later events are sent.', {
      type: 'string',
      pattern: '^[0-9]+$',
    }),
    JobId: { name: 'job_id', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
    Limit: {
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    },
  };
}

function kindSchemas(agent: OpenApiAgent): Json {
  const out: Json = {};
  const idBase = `https://sutazai.dev/schemas/agents/${encodeURIComponent(agent.name)}/`;
  for (const k of agent.kinds) {
    const input = kindComponent(k.kind, 'Input');
    const output = kindComponent(k.kind, 'Output');
    out[input] = embed(k.input_schema, `${idBase}${k.kind}/input.json`);
    out[output] = embed(k.output_schema, `${idBase}${k.kind}/output.json`);
    const pin = { kind: { const: k.kind } };
    out[kindComponent(k.kind, 'JobRequest')] = {
      description: k.description,
      allOf: [ref('JobRequest'), { type: 'object', properties: { ...pin, input: ref(input) } }],
    };
    out[kindComponent(k.kind, 'JobRecord')] = {
      allOf: [
        ref('JobRecord'),
        { type: 'object', properties: { ...pin, input: ref(input), result: ref(output) } },
      ],
    };
  }
  return out;
}

/** A `oneOf` over one per-kind component each, told apart by `kind` (the plain schema without kinds). */
function byKind(agent: OpenApiAgent, part: 'JobRequest' | 'JobRecord'): Json {
  if (agent.kinds.length === 0) return ref(part);
  const mapping = Object.fromEntries(
    agent.kinds.map((k) => [k.kind, `#/components/schemas/${kindComponent(k.kind, part)}`]),
  );
  return {
    oneOf: agent.kinds.map((k) => ref(kindComponent(k.kind, part))),
    discriminator: { propertyName: 'kind', mapping },
  };
}

function jobPaths(agent: OpenApiAgent): Json {
  const common = [param('TenantId'), param('Traceparent')];
  const withJob = [param('JobId'), ...common];
  const record = json(byKind(agent, 'JobRecord'));
  const cancel = (operationId: string, summary: string): Json => ({
    tags: ['jobs'],
    operationId,
    summary,
    parameters: withJob,
    responses: {
      '200': { description: 'Cancelled before it started.', ...record },
      '202': {
        description: 'The running job was asked to stop; watch its events for `job.cancelled`.',
        ...record,
      },
      ...problems(404, 409),
    },
  });
  const examples = Object.fromEntries(
    agent.kinds.map((k) => [k.kind, { summary: k.description, value: { kind: k.kind, input: k.example } }]),
  );
  return {
    '/v1/jobs': {
      post: {
        tags: ['jobs'],
        operationId: 'submitJob',
        summary: 'Submit a job',
        parameters: [param('IdempotencyKey'), param('Prefer'), ...common],
        requestBody: { required: true, ...json(byKind(agent, 'JobRequest'), { examples }) },
        responses: {
          '200': {
            description: 'The job finished within the `Prefer: wait=N` budget.',
            headers: { 'Preference-Applied': { schema: { type: 'string' } } },
            ...record,
          },
          '202': {
            description: 'Accepted (or the replayed answer to the same Idempotency-Key and body).',
            headers: {
              Location: { required: true, description: 'URL of the job.', schema: { type: 'string' } },
            },
            ...json(ref('JobAccepted')),
          },
          ...problems(400, 409, 413, 415, 422, 429, 503),
        },
      },
    },
    '/v1/jobs/{job_id}': {
      get: {
        tags: ['jobs'],
        operationId: 'getJob',
        summary: 'Status of a job and, once finished, its result or error',
        parameters: withJob,
        responses: { '200': { description: 'The job record.', ...record }, ...problems(404) },
      },
      delete: cancel('deleteJob', 'Cancel a job (same as POST …/cancel)'),
    },
    '/v1/jobs/{job_id}/cancel': { post: cancel('cancelJob', 'Cancel a job') },
    '/v1/jobs/{job_id}/events': {
      get: {
        tags: ['jobs'],
        operationId: 'streamJobEvents',
        summary: 'Server-Sent Events of a job',
        description:
          'Each event has `id:` (monotonic per job), `event:` (the type) and `data:` (a JobEvent). Idle streams get heartbeat comments; the stream ends after the terminal event.',
        parameters: [param('LastEventId'), ...withJob],
        responses: {
          '200': {
            description: 'The event stream.',
            headers: {
              'Cache-Control': { schema: { type: 'string', const: 'no-cache' } },
              'X-Accel-Buffering': { schema: { type: 'string', const: 'no' } },
            },
            content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': ref('JobEvent') } },
          },
          ...problems(404),
        },
      },
    },
  };
}

function dlqPaths(agent: OpenApiAgent): Json {
  const common = [param('TenantId'), param('Traceparent')];
  const withJob = [param('JobId'), ...common];
  return {
    '/v1/dlq': {
      get: {
        tags: ['dlq'],
        operationId: 'listDeadLetters',
        summary: `Jobs in \`agent.${agent.name}.dlq\` that exhausted their retries`,
        parameters: [param('Limit'), ...common],
        responses: {
          '200': {
            description: 'Dead-lettered jobs, newest first.',
            ...json({
              type: 'object',
              properties: { items: { type: 'array', items: ref('DeadLetter') } },
              required: ['items'],
            }),
          },
          ...problems(400),
        },
      },
    },
    '/v1/dlq/{job_id}': {
      get: {
        tags: ['dlq'],
        operationId: 'getDeadLetter',
        summary: 'One dead-lettered job',
        parameters: withJob,
        responses: { '200': { description: 'The entry.', ...json(ref('DeadLetter')) }, ...problems(404) },
      },
    },
    '/v1/dlq/{job_id}/redrive': {
      post: {
        tags: ['dlq'],
        operationId: 'redriveDeadLetter',
        summary: 'Run a dead-lettered job once more',
        parameters: withJob,
        responses: {
          '202': { description: 'Queued again.', ...json(ref('JobAccepted')) },
          ...problems(404, 409, 429, 503),
        },
      },
    },
  };
}

function servicePaths(): Json {
  const get = (operationId: string, summary: string, responses: Json): Json => ({
    get: { tags: ['service'], operationId, summary, responses },
  });
  return {
    '/health': get('getHealth', 'Liveness', { '200': { description: 'Alive.', ...json(ref('Health')) } }),
    '/ready': get('getReady', 'Readiness: every dependency reachable and warm', {
      '200': { description: 'Ready.', ...json(ref('Readiness')) },
      '503': { description: 'Not ready; the body names each failing dependency.', ...json(ref('Readiness')) },
    }),
    '/metrics': get('getMetrics', 'Prometheus metrics', {
      '200': {
        description: 'Text exposition format.',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    }),
    '/version': get('getVersion', 'Build information', {
      '200': { description: 'Build info.', ...json(ref('Version')) },
    }),
    '/v1/agent': get('getAgent', 'What this agent is and which job kinds it accepts', {
      '200': { description: 'The agent descriptor.', ...json(ref('AgentDescriptor')) },
    }),
    '/openapi.json': get('getOpenApi', 'This document', {
      '200': { description: 'OpenAPI 3.1 document.', ...json({ type: 'object' }) },
    }),
  };
}

/** Schemas of the service routes, which are not versioned messages of the contract. */
function serviceSchemas(): Json {
  return {
    Health: {
      type: 'object',
      properties: {
        status: { type: 'string', const: 'ok' },
        version: { type: 'string' },
        uptime_s: { type: 'number' },
      },
      required: ['status', 'version', 'uptime_s'],
    },
    Readiness: {
      type: 'object',
      description: 'Overall status and one entry per dependency check.',
      properties: { status: { type: 'string' } },
      required: ['status'],
    },
    Version: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        git_sha: { type: 'string' },
        build_time: { type: 'string' },
      },
      required: ['name', 'version', 'git_sha', 'build_time'],
    },
  };
}

/** The OpenAPI 3.1 document of one agent: service routes, the job API typed per kind, the DLQ. */
export function buildOpenApi(agent: OpenApiAgent): Json {
  const contract: Json = {};
  for (const [file, schema] of Object.entries(contractJsonSchemas())) {
    // The published `$id` stays, so each component is recognisably the committed schema file.
    const { $schema: _dialect, ...rest } = schema;
    contract[schemaTitle(file)] = rest;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${agent.name} agent`,
      version: agent.version,
      description: agent.description,
      'x-schema-version': SCHEMA_VERSION,
    },
    tags: [
      { name: 'service', description: 'Liveness, readiness, metrics and self-description' },
      { name: 'jobs', description: 'Job intake, status, events and cancellation' },
      { name: 'dlq', description: 'The dead-letter queue' },
    ],
    paths: { ...servicePaths(), ...jobPaths(agent), ...dlqPaths(agent) },
    components: {
      schemas: { ...contract, ...serviceSchemas(), ...kindSchemas(agent) },
      parameters: parameters(),
      headers: {
        RetryAfter: {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 0 },
        },
      },
      responses: problemResponses(),
    },
  };
}

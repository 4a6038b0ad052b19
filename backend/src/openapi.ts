import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, buildOpenApi } from '@sutazai/agent-kit';
import { DEFAULT_AGENT } from './config.js';
import { DocumentsRequest, MeshJobRequest } from './mesh-schemas.js';

type Json = Record<string, unknown>;

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string): Json => ({
  $ref: `#/components/${kind}/${name}`,
});

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return rest;
}

function asRecord(value: unknown): Json {
  return typeof value === 'object' && value !== null ? (value as Json) : {};
}

const HEALTH: Json = {
  type: 'object',
  properties: {
    status: { enum: ['ok', 'down'] },
    version: { type: 'string' },
    uptime_s: { type: 'number' },
    detail: { type: 'string' },
  },
  required: ['status'],
};

const READINESS: Json = {
  type: 'object',
  properties: {
    status: { enum: ['ready', 'not_ready', 'unreachable'] },
    failing: {
      type: 'array',
      items: { type: 'string' },
      description: 'Dependencies the agent names as failing',
    },
    detail: { type: 'string' },
  },
  required: ['status', 'failing'],
};

const REPLICA_STATUS: Json = {
  type: 'object',
  properties: {
    replica_id: { type: 'string' },
    url: { type: 'string' },
    source: {
      enum: ['announced', 'configured'],
      description: 'Heartbeats in the shared registry, or a configured `AGENT_URL_<NAME>`',
    },
    version: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    capability: { type: 'string' },
    health: HEALTH,
    ready: READINESS,
  },
  required: ['replica_id', 'url', 'source', 'health', 'ready'],
};

const AGENT_STATUS: Json = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: {
      type: 'string',
      description: "The configured URL, or the first live replica's; absent when no replica is live",
    },
    health: { ...HEALTH, description: '`ok` when any replica is' },
    ready: { ...READINESS, description: '`ready` when any replica is' },
    descriptor: { oneOf: [ref('schemas', 'AgentDescriptor'), { type: 'null' }] },
    descriptor_error: { type: 'string' },
    replicas: { type: 'array', items: REPLICA_STATUS },
  },
  required: ['name', 'health', 'ready', 'descriptor', 'replicas'],
};

/**
 * The mesh's OpenAPI 3.1 document: the kit's contract components and service routes, with the
 * mesh's own job intake (routed by `agent`), documents and agent registry routes.
 */
export function buildMeshOpenApi(version: string): Json {
  const base = buildOpenApi({
    name: 'mesh',
    version,
    description: 'The Backend Mesh: the public API in front of the agents.',
    kinds: [],
  });
  const basePaths = asRecord(base.paths);
  const components = asRecord(base.components);
  const submit = asRecord(asRecord(basePaths['/v1/jobs']).post);
  const problem502 = {
    description: 'An agent answered with something that is not the contract (`dependency_failed`).',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('schemas', 'Problem') } },
  };
  const common = [ref('parameters', 'TenantId'), ref('parameters', 'Traceparent')];
  const jobResponses = (extra: Json): Json => ({
    ...asRecord(submit.responses),
    '404': ref('responses', 'Problem404'),
    '502': ref('responses', 'Problem502'),
    ...extra,
  });

  const paths: Json = {};
  for (const p of ['/health', '/ready', '/metrics', '/version', '/openapi.json']) paths[p] = basePaths[p];
  paths['/v1/jobs'] = {
    post: {
      ...submit,
      summary: 'Submit a job to an agent',
      description: `Routed to \`agent\` (default \`${DEFAULT_AGENT}\`); \`kind\` defaults to the agent's first kind. Job ids are mesh ids \`<agent>.<agent job id>\`. An unknown agent is \`404 not_found\`.`,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('schemas', 'MeshJobRequest') } },
      },
      responses: jobResponses({}),
    },
  };
  for (const p of ['/v1/jobs/{job_id}', '/v1/jobs/{job_id}/cancel', '/v1/jobs/{job_id}/events']) {
    paths[p] = basePaths[p];
  }
  paths['/v1/documents'] = {
    post: {
      tags: ['jobs'],
      operationId: 'ingestDocuments',
      summary: 'Ingest documents (a `retrieve.ingest` job on the retriever, waited for)',
      parameters: [ref('parameters', 'IdempotencyKey'), ref('parameters', 'Prefer'), ...common],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('schemas', 'DocumentsRequest') } },
      },
      responses: jobResponses({}),
    },
  };
  paths['/v1/agents'] = {
    get: {
      tags: ['service'],
      operationId: 'listAgents',
      summary: 'Every agent the mesh routes to and its live replicas, with health, readiness and descriptor',
      responses: {
        '200': {
          description: 'Probed in parallel; reused for up to 2 s.',
          content: { 'application/json': { schema: ref('schemas', 'AgentsReport') } },
        },
      },
    },
  };

  return {
    ...base,
    info: { ...asRecord(base.info), title: 'SutazAI Backend Mesh' },
    tags: [
      { name: 'service', description: 'Liveness, readiness, metrics and the agent registry' },
      { name: 'jobs', description: 'Jobs on any agent, by mesh job id' },
    ],
    paths,
    components: {
      ...components,
      schemas: {
        ...asRecord(components.schemas),
        MeshJobRequest: jsonSchema(MeshJobRequest),
        DocumentsRequest: jsonSchema(DocumentsRequest),
        AgentStatus: AGENT_STATUS,
        AgentsReport: {
          type: 'object',
          properties: {
            checked_at: { type: 'string', format: 'date-time' },
            registry: {
              type: 'object',
              description:
                'Where replicas come from: `static` (configured URLs) or `redis` (heartbeats with a TTL)',
              properties: {
                source: { type: 'string' },
                ttl_ms: { type: 'integer', description: 'Lifetime of an entry without heartbeats; 0: none' },
                error: { type: 'string' },
              },
              required: ['source', 'ttl_ms'],
            },
            agents: { type: 'array', items: ref('schemas', 'AgentStatus') },
          },
          required: ['checked_at', 'registry', 'agents'],
        },
      },
      responses: { ...asRecord(components.responses), Problem502: problem502 },
    },
  };
}

import type { FastifyRequest } from 'fastify';
import { AgentError, type AgentClient } from '@sutazai/agent-kit';
import type { AgentRegistry } from './agent-registry.js';
import type { MeshConfig } from './config.js';
import { parseMeshJobId } from './mesh-id.js';

/** What the mesh's routes share: the agents, the HTTP client and the settings. */
export interface MeshContext {
  registry: AgentRegistry;
  fetch: typeof fetch;
  config: MeshConfig;
  /** Event relays in flight, aborted when the mesh closes. */
  streams: Set<AbortController>;
}

/** A job a request names, resolved to the agent that holds it. */
export interface RoutedJob {
  meshId: string;
  agent: string;
  /** The agent's own job id. */
  jobId: string;
  client: AgentClient;
  /** The job's path on the agent. */
  path: string;
}

/** Resolves `:job_id` of a request; a malformed id or an unknown agent prefix is `job_not_found`. */
export async function routeJob(req: FastifyRequest, registry: AgentRegistry): Promise<RoutedJob> {
  const meshId = (req.params as { job_id?: string }).job_id ?? '';
  const ref = parseMeshJobId(meshId);
  if (!ref) {
    throw new AgentError('job_not_found', {
      detail: `no job ${meshId}: mesh job ids look like <agent>.<job id>`,
    });
  }
  if (!(await registry.knows(ref.agent))) {
    throw new AgentError('job_not_found', { detail: `no job ${meshId}: no agent named ${ref.agent}` });
  }
  return {
    meshId,
    agent: ref.agent,
    jobId: ref.jobId,
    client: registry.client(ref.agent),
    path: `/v1/jobs/${encodeURIComponent(ref.jobId)}`,
  };
}

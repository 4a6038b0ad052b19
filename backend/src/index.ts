// The Backend Mesh's public surface.
export { buildMesh, type Mesh, type MeshOptions } from './mesh-app.js';
export {
  loadMeshConfig,
  agentUrlsFromEnv,
  MESH_DEFAULT_PORT,
  REGISTERED_AGENTS,
  DEFAULT_AGENT,
  type MeshConfig,
} from './config.js';
export {
  AgentRegistry,
  type AgentRegistryOptions,
  type AgentStatus,
  type AgentsReport,
  type AgentHealth,
  type AgentReadiness,
} from './agent-registry.js';
export { toMeshJobId, parseMeshJobId, meshJobPath, type MeshJobRef } from './mesh-id.js';
export { MeshJobRequest, DocumentsRequest } from './mesh-schemas.js';
export { buildMeshOpenApi } from './openapi.js';

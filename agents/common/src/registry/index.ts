// The agent registry: where the live replicas of each agent are found.
export {
  DEFAULT_REGISTRY_TTL_MS,
  newReplicaId,
  type AgentRegistry,
  type Announcement,
  type Replica,
  type ReplicaAnnouncement,
} from './agent-registry.js';
export { createRedisAgentRegistry, type RedisAgentRegistryOptions } from './redis-agent-registry.js';
export { AGENT_URL_ENV_PREFIX, staticAgentUrls, createStaticAgentRegistry } from './static-agent-registry.js';
export { ReplicaPool, isConnectionRefused, type ReplicaPoolOptions } from './replica-pool.js';

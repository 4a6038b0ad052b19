// The agent kit's public surface.
export * from './contract/schemas.js';
export * from './contract/errors.js';
export * from './contract/problem.js';
export { buildOpenApi } from './contract/openapi.js';
export * from './config.js';
export type * from './ports/job-backend.js';
export type * from './ports/readiness.js';
export type * from './ports/llm.js';
export type * from './ports/embedder.js';
export type * from './ports/vector-store.js';
export { noopLogger, type Logger, type LogFields } from './ports/logger.js';
export { createMemoryBackend } from './adapters/memory/memory-backend.js';
export { createOllamaClient, type OllamaClientOptions } from './adapters/ollama/ollama-client.js';
export { createLlmFromConfig } from './adapters/ollama/from-config.js';
export { createPgliteVectorStore } from './adapters/pglite/pglite-vector-store.js';
export { createQdrantVectorStore } from './adapters/qdrant/qdrant-vector-store.js';
export { createHashingEmbedder } from './adapters/embedder/hashing-embedder.js';
export { createLlmEmbedder } from './adapters/embedder/llm-embedder.js';
export { chunkDocument, chunkEmbeddingText } from './rag/chunker.js';
export { reciprocalRankFusion } from './rag/fusion.js';
export {
  AgentClient,
  type AgentClientOptions,
  type CallContext,
  type SubmitRequest,
  type RunOptions,
} from './client/agent-client.js';
export { readJobEvents } from './client/sse-reader.js';
export { AgentMetrics, LATENCY_BUCKETS_MS } from './observability/metrics.js';
export { createLogger } from './observability/logger.js';
export { scrubText, scrubValue } from './observability/pii.js';
export * from './observability/tracing.js';
export { JobEngine, type EngineOptions, type Submission, type SubmitResult } from './jobs/engine.js';
export { backoffDelay, type BackoffPolicy } from './jobs/backoff.js';
export { parseIdempotencyKey, fingerprint, canonicalJson, deriveChildKey } from './jobs/idempotency.js';
export * from './service/agent-definition.js';
export {
  createAgentService,
  describeAgent,
  DEFAULT_TENANT,
  type AgentService,
  type AgentServiceOptions,
} from './service/create-service.js';
export { readBuildInfo, type BuildInfo } from './service/build-info.js';
export { createHttpApp, type HttpAppOptions } from './service/http-app.js';
export { sendProblem } from './service/http-errors.js';
export { formatSse, streamJobEvents, lastEventId, openEventStream } from './service/sse.js';
export { checkReadiness, type ReadinessReport } from './service/readiness.js';
export {
  runAgent,
  buildAgentFromConfig,
  createJobBackend,
  REPO_ROOT,
  type AgentRuntime,
  type AgentFactoryResult,
} from './service/run-agent.js';
export * from './registry/index.js';
export * from './rag/lexical.js';
export * from './rag/citation-markers.js';
export {
  createRedisBackend,
  DEFAULT_REDIS_PREFIX,
  type RedisBackendOptions,
} from './adapters/redis/redis-backend.js';
export { createPostgresJobStore } from './adapters/postgres/postgres-job-store.js';
export { createPostgresDocumentRepository } from './adapters/postgres/postgres-document-repository.js';
export {
  createJobBackendFromConfig,
  composeBackend,
  type JobBackendFromConfigOptions,
} from './adapters/backend-from-config.js';
export { Passage } from './contract/passage.js';
export { buildWithModel } from './service/model-agent.js';
export { exitOnSignals } from './service/shutdown.js';
export { sleep } from './util/sleep.js';

// Test support shipped with the kit: fakes of outside systems, harnesses and conformance suites.
export { startTestService, TEST_ENGINE, type TestService } from './harness.js';
export { createTestAgent, sleep, type TestAgentProbe } from './test-agent.js';
export { runJobBackendConformance } from './job-backend-conformance.js';
export * from './fixtures/fake-ollama.js';
export { runVectorStoreConformance, CONFORMANCE_DIMENSIONS } from './vector-store-conformance.js';
export * from './fixtures/fake-qdrant.js';
export { testRuntime, testLlm } from './model-fixtures.js';

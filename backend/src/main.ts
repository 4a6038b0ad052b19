// The mesh process: the only file that reads the environment and listens.
import { readFileSync } from 'node:fs';
import {
  AgentMetrics,
  ConfigError,
  REPO_ROOT,
  createLogger,
  createRedisAgentRegistry,
  exitOnSignals,
  readBuildInfo,
} from '@sutazai/agent-kit';
import { loadMeshConfig, type MeshConfig } from './config.js';
import { buildMesh } from './mesh-app.js';

let config: MeshConfig;
try {
  config = loadMeshConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  throw err;
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const logger = createLogger({ agent: 'mesh', level: config.logLevel });
const metrics = new AgentMetrics({
  namespace: config.prometheusNamespace,
  agent: 'mesh',
  processMetrics: true,
});
// With REDIS_URL, the agents' live replicas come from the registry they heartbeat into.
const replicas =
  config.redisUrl === undefined
    ? undefined
    : await createRedisAgentRegistry({ url: config.redisUrl, logger }).catch((err: unknown) => {
        logger.error({ err }, 'the agent registry (REDIS_URL) is unreachable');
        process.exit(69);
      });
const mesh = buildMesh({
  config,
  logger,
  metrics,
  buildInfo: readBuildInfo('mesh', pkg.version, REPO_ROOT),
  ...(replicas ? { replicas } : {}),
});

exitOnSignals(logger, config.shutdownGraceMs + 5000, async () => {
  mesh.stop();
  await mesh.close();
  await replicas?.close();
});

const url = await mesh.app.listen({ port: config.port, host: config.host });
logger.info(
  replicas ? { url, registry: 'redis', ttl_ms: replicas.ttlMs } : { url, agents: config.agents },
  'mesh listening',
);

// The mesh process: the only file that reads the environment and listens.
import { readFileSync } from 'node:fs';
import {
  AgentMetrics,
  ConfigError,
  REPO_ROOT,
  createLogger,
  createRedisAgentRegistry,
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

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  mesh.stop();
  const hardStop = setTimeout(() => process.exit(1), config.shutdownGraceMs + 5000);
  hardStop.unref();
  void mesh
    .close()
    .then(() => replicas?.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

const url = await mesh.app.listen({ port: config.port, host: config.host });
logger.info(
  replicas ? { url, registry: 'redis', ttl_ms: replicas.ttlMs } : { url, agents: config.agents },
  'mesh listening',
);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  buildAgentFromConfig,
  createLogger,
  loadConfig,
  type AgentConfig,
  type AgentFactoryResult,
  type AgentService,
} from '@sutazai/agent-kit';
import type { AgentManifest } from '../../../scripts/inventory.js';
import { loadAgentModule, type AgentModule } from './agent-modules.js';

/** A discovered agent built from config, listening on 127.0.0.1 at an OS-assigned port. */
export interface ContractAgent {
  manifest: AgentManifest;
  module: AgentModule;
  config: AgentConfig;
  service: AgentService;
  built: AgentFactoryResult;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Every log line written so far, as emitted (JSON text). */
  logs: string[];
  close(): Promise<void>;
}

/** A pino destination that keeps lines in memory. */
export function captureLines(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
}

/**
 * Builds an agent the way `runAgent` does (config → factory → service over the embedded backend), with
 * its own data directory and captured logs, and listens. `startEngine: false` leaves jobs queued.
 */
export async function startContractAgent(
  manifest: AgentManifest,
  opts: { env?: Record<string, string>; startEngine?: boolean } = {},
): Promise<ContractAgent> {
  const module = await loadAgentModule(manifest);
  const dataDir = mkdtempSync(path.join(tmpdir(), `contract-${manifest.agent}-`));
  const env = {
    LOG_LEVEL: 'debug',
    DATA_DIR: dataDir,
    AGENT_BODY_LIMIT_BYTES: String(64 * 1024),
    ...opts.env,
  };
  const config = loadConfig(env, { agentName: module.defaults.agentName, port: 0 });
  const logs: string[] = [];
  const logger = createLogger({
    agent: config.agentName,
    level: config.logLevel,
    destination: captureLines(logs),
  });
  let built: AgentFactoryResult;
  let service: AgentService;
  try {
    ({ service, built } = await buildAgentFromConfig(config, module.factory, logger));
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  if (opts.startEngine !== false) service.engine.start();
  const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  built.afterListen?.().catch((err: unknown) => logger.warn({ err }, 'post-start task failed'));
  return {
    manifest,
    module,
    config,
    service,
    built,
    base,
    logs,
    async close() {
      try {
        await service.close(1000);
        await built.close?.();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

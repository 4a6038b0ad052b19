import { ConfigError, runAgent } from '@sutazai/agent-kit';
import { ORCHESTRATOR, createOrchestrator } from './agent.js';
import { loadOrchestratorConfig, type OrchestratorConfig } from './config.js';

let config: OrchestratorConfig;
try {
  config = loadOrchestratorConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  throw err;
}

await runAgent(ORCHESTRATOR, (rt) => createOrchestrator(rt, config));

import { runAgent } from '@sutazai/agent-kit';
import { GENERATOR, buildGenerator } from './agent.js';

await runAgent(GENERATOR, buildGenerator);

import { runAgent } from '@sutazai/agent-kit';
import { VERIFIER, buildVerifier } from './agent.js';

await runAgent(VERIFIER, buildVerifier);

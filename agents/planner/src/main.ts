import { runAgent } from '@sutazai/agent-kit';
import { PLANNER, buildPlanner } from './agent.js';

await runAgent(PLANNER, buildPlanner);

export { PLANNER, buildPlanner, plannerDefinition } from './agent.js';
export { planDeterministically, classify, keywords, subQuestions } from './deterministic-planner.js';
export * from './plan-schema.js';

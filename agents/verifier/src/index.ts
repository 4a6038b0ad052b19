export { VERIFIER, buildVerifier, verifierDefinition, type VerifierOptions } from './agent.js';
export {
  checkLexically,
  isAbstention,
  SUPPORT_THRESHOLD,
  ABSTENTION_COVERAGE,
  type LexicalReport,
} from './lexical-check.js';
export {
  judgeWithModel,
  judgeMessages,
  JUDGE_SCHEMA,
  DEFAULT_JUDGE_CHAR_BUDGET,
  type JudgeResult,
  type JudgeSettings,
} from './model-judge.js';
export * from './verify-schema.js';

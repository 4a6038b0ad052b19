export { GENERATOR, buildGenerator, generatorDefinition, type GeneratorOptions } from './agent.js';
export {
  extractiveAnswer,
  citeSentence,
  MAX_EXTRACT_SENTENCES,
  type ExtractiveAnswer,
} from './extractive.js';
export { citeAnswer, bestQuote, MAX_QUOTE_CHARS, type CitedAnswer } from './citations.js';
export {
  buildMessages,
  systemPrompt,
  userPrompt,
  fitPassages,
  DEFAULT_PASSAGE_CHAR_BUDGET,
  type FittedPassage,
} from './prompt.js';
export { answerWithModel, fallbackReasonOf, type ModelSettings } from './model-answer.js';
export * from './generate-schema.js';

/** The rules-engine model: statement parsing, filter matching, evaluation and the forward token. */
export * from './model.js';
export * from './corpus.js';

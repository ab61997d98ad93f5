/** What hubcheck adds to vitest's types: the injected target and per-test metadata read by the reporter. */
import type { Evidence } from '../report/model.js';
import type { ResolvedTarget } from '../target/resolved.js';

declare module 'vitest' {
  export interface ProvidedContext {
    target: ResolvedTarget;
  }
  export interface TaskMeta {
    /** Requirement ids the test proves. */
    requirements?: string[];
    /** Wire evidence attached when the test fails. */
    evidence?: Evidence[];
  }
}

export {};

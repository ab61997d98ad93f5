/** The shape of one requirement record in the catalogue. */
import type { Capability } from './capabilities.js';

export type { Capability } from './capabilities.js';

/** Requirement levels; DEVIATION marks a deliberate departure from MQTT 3.1.1 that a hub must show. */
export const LEVELS = ['MUST', 'SHOULD', 'MAY', 'DEVIATION'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * Conventional tags: 'unconfirmed' (the statement rests on `choice`, not on a source), 'compat' (field SDKs
 * depend on it, compat.md), 'negative' (a refusal), 'boundary' (a limit's edge), 'slow' (needs waiting over 10 s).
 */
export type Tag = 'unconfirmed' | 'compat' | 'negative' | 'boundary' | 'slow';

export interface Requirement {
  title: string;
  /** One testable sentence: what a hub must do, observable on the wire or through the API. */
  statement: string;
  level: Level;
  /** Where the statement comes from: protocol.md section, seed section, compat.md, access-rules.md. */
  source: string;
  capability: Capability;
  /** For UNCONFIRMED statements: the behaviour hubcheck's reference hub chooses, and why. */
  choice?: string;
  tags?: readonly Tag[];
}

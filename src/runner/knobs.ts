/**
 * Environment knobs the suites read in their workers (vitest workers inherit the environment of the process that
 * starts them): how deep property tests go, which seed they draw from, which passing tests keep their transcript.
 * `hubcheck certify` sets them for its run and records them, so a certification run can be repeated.
 */

export const KNOBS = {
  /** A whole number of cases for every property, whatever its own default (deeper or quicker runs by hand). */
  numRuns: 'HUBCHECK_NUM_RUNS',
  /** A factor on each property's own number of cases (certify: certification depth, the ratios between properties kept). */
  runsFactor: 'HUBCHECK_RUNS_FACTOR',
  /** A whole number: the base fast-check seed; each property mixes it with its title (propertySeed). */
  seed: 'HUBCHECK_SEED',
  /** N: the passing tests whose title hashes to 0 modulo N keep their wire transcript (about one in N). */
  passTranscripts: 'HUBCHECK_PASS_TRANSCRIPTS',
} as const;

type Env = Record<string, string | undefined>;

/** 32-bit FNV-1a of a string's UTF-8 bytes: small, stable across machines and Node versions. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Cases for a property whose own default is `defaultRuns`, under the knobs in `env`. */
export function runsFor(defaultRuns: number, env: Env = process.env): number {
  const n = Number(env[KNOBS.numRuns]);
  if (Number.isInteger(n) && n > 0) return n;
  const f = Number(env[KNOBS.runsFactor]);
  return Number.isFinite(f) && f > 0 ? Math.max(1, Math.ceil(defaultRuns * f)) : defaultRuns;
}

/** The base seed from the environment, or undefined (fast-check then picks one per property). */
export function baseSeed(env: Env = process.env): number | undefined {
  const text = env[KNOBS.seed];
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return undefined;
  return Number(text) | 0;
}

/**
 * The seed of one property: the base seed mixed with the test's title, so properties do not all draw the same
 * sequence and adding a test does not change the others' cases. Undefined without a base seed.
 */
export function propertySeed(title: string, env: Env = process.env): number | undefined {
  const base = baseSeed(env);
  return base === undefined ? undefined : (base ^ fnv1a(title)) | 0;
}

/** Whether a passing test with this title keeps its transcript as evidence (a fixed sample, the same on every run). */
export function keepsPassTranscript(title: string, env: Env = process.env): boolean {
  const n = Number(env[KNOBS.passTranscripts]);
  return Number.isInteger(n) && n > 0 && fnv1a(title) % n === 0;
}

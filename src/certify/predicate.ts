/** The certification predicate: what a bundle's signed statement says about the hub (schemas/certification-predicate.schema.json). */
import type { Finding } from '../report/model.js';
import type { HubIdentity } from '../target/identity.js';
import type { SuiteIdentity } from './identity.js';
import type { Judgement } from './verdict.js';

/** How deep and from which seed the run drew its property cases, so it can be repeated. */
export interface RunSettings {
  /** The base fast-check seed (HUBCHECK_SEED); each property mixes it with its title. */
  seed: number;
  /** Factor on each property's own number of cases (HUBCHECK_RUNS_FACTOR). */
  runsFactor: number;
  /** About one passing test in this many keeps its transcript (HUBCHECK_PASS_TRANSCRIPTS). */
  passTranscripts: number;
  /** Suite files run at once. */
  parallel: number;
}

export interface CertificationPredicate extends Omit<Judgement, 'areas' | 'totals'> {
  /** When the run finished (ISO 8601). */
  date: string;
  hub: HubIdentity;
  suite: SuiteIdentity;
  run: RunSettings & { runId: string; startedAt: string; finishedAt: string; durationMs: number; reproduce: string };
  totals: Judgement['totals'];
  areas: Judgement['areas'];
  /** Claims of the descriptor the probe contradicted. */
  findings: Finding[];
}

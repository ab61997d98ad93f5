/**
 * The certification verdict over a finished run: certified only when every required (MUST or DEVIATION) requirement
 * the profile applies to this target passed, none was left unproven, no test errored, the run itself had no error and
 * no fault switch was on. Pure: the same run always gets the same verdict.
 */
import { PROFILES, REQUIREMENTS, type Requirement } from '../../specs/requirements/index.js';
import type { RequirementResult, RunResult } from '../report/model.js';
import { foldRequirements } from '../runner/coverage.js';

/** Levels a certified hub must pass; SHOULD and MAY failures are warnings on the certificate. */
export const REQUIRED_LEVELS: readonly string[] = ['MUST', 'DEVIATION'];

export interface Tally { total: number; passed: number; failed: number; untested: number }
export interface AreaTally { area: string; required: Tally; optional: Tally; notApplicable: number }

export interface Judgement {
  result: 'certified' | 'not-certified';
  /** Why not, one line each (empty when certified). */
  reasons: string[];
  profile: string;
  failedMusts: string[];
  /** Required requirements that apply but that no test proved (untested, or every test citing them was skipped). */
  untestedMusts: string[];
  erroredTests: string[];
  /** SHOULD and MAY requirements that failed. */
  warnings: string[];
  capabilities: { profile: string[]; offered: string[]; missing: string[]; extra: string[] };
  areas: AreaTally[];
  totals: { required: Tally; optional: Tally; notApplicable: number };
  faults: string[];
}

const emptyTally = (): Tally => ({ total: 0, passed: 0, failed: 0, untested: 0 });

function count(t: Tally, verdict: RequirementResult['verdict']): void {
  t.total++;
  if (verdict === 'pass') t.passed++;
  else if (verdict === 'fail' || verdict === 'warn') t.failed++;
  else t.untested++;
}

/** `runErrors`: errors outside any test (the hub died, a suite could not load). */
export function judge(result: RunResult, o: { profile?: string; runErrors?: readonly string[] } = {}): Judgement {
  const profile = o.profile ?? result.target.profile;
  const offered = [...(result.target.capabilities ?? [])].sort();
  const offeredSet = new Set(offered);
  const profileCaps = [...((PROFILES as Record<string, { capabilities: readonly string[] }>)[profile]?.capabilities ?? [])].sort();
  const requirements = result.requirements ?? foldRequirements(result.tests, offered);
  const catalogue = REQUIREMENTS as Record<string, Requirement>;

  const failedMusts: string[] = [];
  const untestedMusts: string[] = [];
  const warnings: string[] = [];
  const byArea = new Map<string, AreaTally>();
  const totals = { required: emptyTally(), optional: emptyTally(), notApplicable: 0 };
  for (const r of requirements) {
    const req = catalogue[r.id];
    const area = byArea.get(r.area) ?? { area: r.area, required: emptyTally(), optional: emptyTally(), notApplicable: 0 };
    byArea.set(r.area, area);
    if (!req || !offeredSet.has(req.capability)) { area.notApplicable++; totals.notApplicable++; continue; }
    const required = REQUIRED_LEVELS.includes(r.level);
    // A requirement that applies but whose every test was skipped proved nothing: for a MUST that is untested.
    const verdict = r.verdict === 'not-applicable' ? 'untested' : r.verdict;
    count(required ? area.required : area.optional, verdict);
    count(required ? totals.required : totals.optional, verdict);
    if (required && verdict === 'fail') failedMusts.push(r.id);
    else if (required && verdict === 'untested') untestedMusts.push(r.id);
    else if (!required && (verdict === 'warn' || verdict === 'fail')) warnings.push(r.id);
  }
  const erroredTests = result.tests.filter((t) => t.verdict === 'error').map((t) => t.name);
  const faults = result.target.faults ?? [];

  const reasons: string[] = [];
  if (!Object.hasOwn(PROFILES, profile)) reasons.push(`unknown profile ${profile}; known: ${Object.keys(PROFILES).join(', ')}`);
  else if (result.target.profile !== profile) reasons.push(`the run judged profile ${result.target.profile}, not ${profile}`);
  if (failedMusts.length) reasons.push(`${failedMusts.length} required requirement(s) failed: ${failedMusts.join(', ')}`);
  if (untestedMusts.length) reasons.push(`${untestedMusts.length} required requirement(s) were not proven by any test: ${untestedMusts.join(', ')}`);
  if (erroredTests.length) reasons.push(`${erroredTests.length} test(s) ended in an error: ${erroredTests.slice(0, 5).join('; ')}${erroredTests.length > 5 ? '; …' : ''}`);
  for (const e of o.runErrors ?? []) reasons.push(`run error: ${e.split('\n')[0]}`);
  if (faults.length) reasons.push(`fault switches were on (${faults.join(', ')}): a reference hub broken on purpose is never certified`);

  return {
    result: reasons.length === 0 ? 'certified' : 'not-certified',
    reasons,
    profile,
    failedMusts,
    untestedMusts,
    erroredTests,
    warnings,
    capabilities: {
      profile: profileCaps,
      offered,
      missing: profileCaps.filter((c) => !offeredSet.has(c)),
      extra: offered.filter((c) => !profileCaps.includes(c)),
    },
    areas: [...byArea.values()],
    totals,
    faults,
  };
}


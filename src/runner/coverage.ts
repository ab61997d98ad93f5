/** Folds test verdicts into one verdict per catalogue requirement, and counts coverage per area. */
import type { CoverageRow, RequirementResult, RequirementVerdict, TestResult } from '../report/model.js';
import { AREAS, REQUIREMENTS, type Requirement } from '../../specs/requirements/index.js';

/** A failure of a MUST or DEVIATION fails the requirement; of a SHOULD or MAY it only warns. */
const BLOCKING = new Set(['MUST', 'DEVIATION']);

/**
 * One verdict per requirement, by fixed precedence over the tests citing it:
 * fail/warn > pass > not-applicable > untested. Requirements whose capability the target does
 * not offer are not applicable whatever their tests say.
 */
export function foldRequirements(tests: readonly TestResult[], capabilities: readonly string[]): RequirementResult[] {
  const byId = new Map<string, TestResult[]>();
  for (const t of tests) for (const id of t.requirements) byId.set(id, [...(byId.get(id) ?? []), t]);
  const offered = new Set(capabilities);
  return (Object.entries(REQUIREMENTS) as [string, Requirement][]).map(([id, r]) => {
    const cited = byId.get(id) ?? [];
    const area = AREAS[id.split('-')[0]!] ?? 'other';
    let verdict: RequirementVerdict;
    if (!offered.has(r.capability)) verdict = 'not-applicable';
    else if (cited.some((t) => t.verdict === 'fail' || t.verdict === 'error')) verdict = BLOCKING.has(r.level) ? 'fail' : 'warn';
    else if (cited.some((t) => t.verdict === 'pass')) verdict = 'pass';
    else if (cited.length > 0) verdict = 'not-applicable';
    else verdict = 'untested';
    return { id, verdict, level: r.level, area, tests: cited.map((t) => t.name) };
  });
}

/** Per area: applicable requirements, tested (a test ran), passed, failed, and the MUSTs no test exercised. */
export function coverageByArea(requirements: readonly RequirementResult[]): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  for (const r of requirements) {
    if (r.verdict === 'not-applicable') continue;
    const row = rows.get(r.area) ?? { area: r.area, requirements: 0, tested: 0, passed: 0, failed: 0, untestedMust: [] };
    row.requirements++;
    if (r.verdict !== 'untested') row.tested++;
    if (r.verdict === 'pass') row.passed++;
    if (r.verdict === 'fail' || r.verdict === 'warn') row.failed++;
    if (r.verdict === 'untested' && BLOCKING.has(r.level)) row.untestedMust.push(r.id);
    rows.set(r.area, row);
  }
  const order = Object.values(AREAS) as string[];
  return [...rows.values()].sort((a, b) => order.indexOf(a.area) - order.indexOf(b.area));
}

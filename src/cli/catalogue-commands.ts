/** `hubcheck list` and `hubcheck explain`: the requirement catalogue, the tests behind each id, and the last verdicts, offline. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { HubcheckError } from '../errors.js';
import type { RunResult } from '../report/model.js';
import { collectTests, type CollectedTest } from '../runner/collect.js';
import { effectiveCapabilities } from '../target/capabilities.js';
import { REFERENCE_HUB_MISSING } from '../target/launch.js';
import { AREAS, REQUIREMENTS, isReqId, type Requirement } from '../../specs/requirements/index.js';

/** The newest results.json under reports/ (by modification time), if any. */
export function lastResults(reportsDir = path.join(process.cwd(), 'reports')): { file: string; result: RunResult } | undefined {
  let newest: { file: string; mtime: number } | undefined;
  let entries: string[] = [];
  try { entries = readdirSync(reportsDir); } catch { return undefined; }
  for (const entry of entries) {
    const file = path.join(reportsDir, entry, 'results.json');
    try {
      const mtime = statSync(file).mtimeMs;
      if (!newest || mtime > newest.mtime) newest = { file, mtime };
    } catch { /* not a run directory */ }
  }
  if (!newest) return undefined;
  try {
    return { file: newest.file, result: JSON.parse(readFileSync(newest.file, 'utf8')) as RunResult };
  } catch {
    return undefined;
  }
}

function testsById(tests: CollectedTest[]): Map<string, CollectedTest[]> {
  const map = new Map<string, CollectedTest[]>();
  for (const t of tests) for (const id of t.requirements) map.set(id, [...(map.get(id) ?? []), t]);
  return map;
}

/** What the embedded reference hub offers (the tencent-hub profile less what it does not implement yet). */
const referenceHubCapabilities = (): ReadonlySet<string> => new Set(effectiveCapabilities('tencent-hub', { missing: [...REFERENCE_HUB_MISSING] }, 'reference hub'));

/**
 * Why a requirement has no test: the capability the reference hub lacks (a test could not pass or fail there), else the
 * catalogue's recorded choice, else that none was written yet. One line, for `list --untested`.
 */
export function untestedReason(r: Requirement, offered: ReadonlySet<string>): string {
  if (!offered.has(r.capability)) return `the reference hub lacks capability ${r.capability}`;
  if (r.choice) return `choice: ${r.choice}`;
  return 'no test written yet';
}

export async function listCommand(opts: { area?: string; untested?: boolean }, out: (s: string) => void): Promise<number> {
  const areas = [...new Set(Object.values(AREAS))];
  if (opts.area !== undefined && !areas.includes(opts.area as never)) {
    throw new HubcheckError('BAD_OPTION', `--area ${JSON.stringify(opts.area)} is not an area; use one of: ${areas.join(', ')}`);
  }
  const byId = testsById(await collectTests());
  const entries = (Object.entries(REQUIREMENTS) as [string, Requirement][])
    .filter(([id]) => opts.area === undefined || AREAS[id.split('-')[0]!] === opts.area)
    .filter(([id]) => !opts.untested || !byId.has(id));
  const offered = opts.untested ? referenceHubCapabilities() : new Set<string>();
  for (const [id, r] of entries) {
    const n = byId.get(id)?.length ?? 0;
    // id in column 1 and level in column 2 (awk '$2=="MUST"{print $1}'); with --untested the reason follows the title
    const why = opts.untested ? `  ${pc.dim(`(why: ${untestedReason(r, offered)})`)}` : '';
    out(`${id.padEnd(10)} ${r.level.padEnd(9)} ${(n ? `${n} test${n > 1 ? 's' : ''}` : pc.dim('untested')).padEnd(9)} ${r.title}${why}`);
  }
  const tested = entries.filter(([id]) => byId.has(id)).length;
  out(`\n${entries.length} requirement(s)${opts.area ? ` in ${opts.area}` : ''}${opts.untested ? ' without a test' : `, ${tested} with a test`}`);
  return 0;
}

export async function explainCommand(id: string, out: (s: string) => void): Promise<number> {
  const key = id.toUpperCase();
  if (!isReqId(key)) {
    const near = Object.keys(REQUIREMENTS).filter((k) => k.startsWith(key.split('-')[0] ?? '')).slice(0, 5);
    throw new HubcheckError('BAD_OPTION', `no requirement ${JSON.stringify(id)}${near.length ? `; ids look like ${near.join(', ')}` : ''}; hubcheck list shows them all`);
  }
  const r: Requirement = REQUIREMENTS[key];
  const tests = testsById(await collectTests()).get(key) ?? [];
  out(`${pc.bold(key)}  ${r.title}`);
  out(`level       ${r.level}`);
  out(`area        ${AREAS[key.split('-')[0]!]}`);
  out(`capability  ${r.capability}`);
  out(`source      ${r.source}`);
  out(`statement   ${r.statement}`);
  if (r.choice) out(`choice      ${r.choice}`);
  out(`tests       ${tests.length ? tests.map((t) => `${t.file}: ${t.name}`).join('\n            ') : 'none yet'}`);
  const last = lastResults();
  const verdict = last?.result.requirements?.find((x) => x.id === key);
  out(`last run    ${verdict ? `${verdict.verdict} (${last!.result.runId}, target ${last!.result.target.name})` : 'no run on record in reports/'}`);
  return 0;
}

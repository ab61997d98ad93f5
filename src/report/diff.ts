/**
 * Requirement verdicts from one run to the next (report directories, results.json files or certification bundles):
 * what regressed, improved, appeared or vanished, so a hub's CI can hold its certification from release to release.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HubcheckError } from '../errors.js';
import { foldRequirements } from '../runner/coverage.js';
import type { RequirementResult, RunResult } from './model.js';

export interface RunVerdicts { origin: string; label: string; verdicts: Map<string, { verdict: string; level: string }> }
export interface RequirementChange { id: string; level: string; from: string; to: string }
export interface VerdictDiff { regressed: RequirementChange[]; improved: RequirementChange[]; appeared: RequirementChange[]; vanished: RequirementChange[]; unchanged: number }

/** Verdicts that judged the hub; the others (untested, not-applicable, absent) said nothing about it. */
const RANK: Record<string, number> = { fail: 0, warn: 1, pass: 2 };
const judged = (v: string | undefined): v is string => v !== undefined && v in RANK;

function readJson(file: string, origin: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HubcheckError('REPORT_INVALID', `${origin}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a report directory, a results.json or a certification bundle`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HubcheckError('REPORT_INVALID', `${origin}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** A report directory or bundle (its results.json), or a results.json file. */
export function loadVerdicts(input: string): RunVerdicts {
  let file = input;
  let isDir = false;
  try { isDir = statSync(input).isDirectory(); } catch { /* readJson names it */ }
  if (isDir) file = path.join(input, 'results.json');
  const data = readJson(file, input) as Partial<RunResult>;
  if (!data || typeof data !== 'object' || !Array.isArray(data.tests) || !data.target || typeof data.target !== 'object') {
    throw new HubcheckError('REPORT_INVALID', `${input}: ${file} is not a hubcheck results.json (no tests or target field); give the results.json a run or certify wrote`);
  }
  const requirements: RequirementResult[] = Array.isArray(data.requirements) ? data.requirements : foldRequirements(data.tests, data.target.capabilities ?? []);
  return {
    origin: input,
    label: `${data.target.name ?? 'target'} ${data.runId ?? ''} (hubcheck ${data.hubcheckVersion ?? '?'})`.trim(),
    verdicts: new Map(requirements.map((r) => [r.id, { verdict: r.verdict, level: r.level }])),
  };
}

export function diffVerdicts(a: RunVerdicts, b: RunVerdicts): VerdictDiff {
  const d: VerdictDiff = { regressed: [], improved: [], appeared: [], vanished: [], unchanged: 0 };
  const ids = [...new Set([...a.verdicts.keys(), ...b.verdicts.keys()])].sort();
  for (const id of ids) {
    const from = a.verdicts.get(id);
    const to = b.verdicts.get(id);
    const change = { id, level: to?.level ?? from?.level ?? '', from: from?.verdict ?? 'absent', to: to?.verdict ?? 'absent' };
    if (judged(from?.verdict) && judged(to?.verdict)) {
      if (RANK[to.verdict]! < RANK[from.verdict]!) d.regressed.push(change);
      else if (RANK[to.verdict]! > RANK[from.verdict]!) d.improved.push(change);
      else d.unchanged++;
    } else if (judged(from?.verdict)) d.vanished.push(change);
    else if (judged(to?.verdict)) d.appeared.push(change);
    else d.unchanged++;
  }
  return d;
}

export function formatDiff(a: RunVerdicts, b: RunVerdicts, d: VerdictDiff): string {
  const lines = [`from ${a.label}`, `  to ${b.label}`, ''];
  const section = (title: string, changes: RequirementChange[], note: string) => {
    lines.push(`${title} (${changes.length})${changes.length ? `: ${note}` : ''}`);
    for (const c of changes) lines.push(`  ${c.id.padEnd(11)} ${c.level.padEnd(9)} ${c.from} -> ${c.to}`);
  };
  section('regressed', d.regressed, 'judged in both, worse now');
  section('improved', d.improved, 'judged in both, better now');
  section('appeared', d.appeared, 'judged now, not before');
  section('vanished', d.vanished, 'judged before, not now (untested, not applicable or gone)');
  lines.push(`unchanged ${d.unchanged}`);
  lines.push('', d.regressed.length ? `${d.regressed.length} requirement(s) regressed` : 'no regression');
  return lines.join('\n');
}

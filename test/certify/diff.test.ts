// hubcheck report diff: requirement verdicts from one run (report, results.json or bundle) to the next.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffVerdicts, formatDiff, loadVerdicts } from '../../src/report/diff.js';
import type { RunResult } from '../../src/report/model.js';
import { hubcheck } from '../cli/helpers.js';
import { keyPair, syntheticBundle, syntheticRun, tmp } from './fixtures.js';

function reportDir(result: RunResult): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(result));
  return dir;
}

describe('report diff', () => {
  it('sorts changes into regressed, improved, appeared and vanished', () => {
    const before = syntheticRun({ 'AUTH-003': 'fail', 'ACL-002': 'not-applicable' });
    const after = syntheticRun({ 'AUTH-004': 'fail', 'LOG-003': 'fail', 'SHADOW-002': 'not-applicable' });
    const a = loadVerdicts(reportDir(before));
    const b = loadVerdicts(reportDir(after));
    const d = diffVerdicts(a, b);
    expect(d.regressed.map((c) => `${c.id} ${c.from}->${c.to}`)).toEqual(['AUTH-004 pass->fail', 'LOG-003 pass->warn']);
    expect(d.improved.map((c) => `${c.id} ${c.from}->${c.to}`)).toEqual(['AUTH-003 fail->pass']);
    expect(d.appeared.map((c) => c.id)).toEqual(['ACL-002']);
    expect(d.vanished.map((c) => `${c.id} ${c.from}->${c.to}`)).toEqual(['SHADOW-002 pass->not-applicable']);
    expect(formatDiff(a, b, d)).toMatch(/regressed \(2\)[\s\S]*AUTH-004\s+MUST\s+pass -> fail[\s\S]*2 requirement\(s\) regressed/);
  });

  it('reads a results.json whose requirement verdicts were not written, folding its tests', () => {
    const result = syntheticRun({ 'AUTH-003': 'fail' });
    delete result.requirements;
    const file = path.join(tmp(), 'old-results.json');
    writeFileSync(file, JSON.stringify(result));
    expect(loadVerdicts(file).verdicts.get('AUTH-003')).toEqual({ verdict: 'fail', level: 'MUST' });
  });

  it('the CLI exits 1 on a regression between two bundles, 0 without, and refuses input it cannot read', async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    const good = (await syntheticBundle(path.join(dir, 'good'), key)).dir;
    const bad = (await syntheticBundle(path.join(dir, 'bad'), key, { result: syntheticRun({ 'ACL-002': 'fail' }) })).dir;
    const worse = await hubcheck(['report', 'diff', good, bad]);
    expect(worse.code, worse.stdout + worse.stderr).toBe(1);
    expect(worse.stdout).toMatch(/regressed \(1\)[\s\S]*ACL-002\s+MUST\s+pass -> fail/);
    const better = await hubcheck(['report', 'diff', bad, good]);
    expect(better.code).toBe(0);
    expect(better.stdout).toMatch(/improved \(1\)[\s\S]*no regression/);
    const junk = path.join(dir, 'junk');
    mkdirSync(junk);
    writeFileSync(path.join(junk, 'results.json'), '{ not json');
    const unreadable = await hubcheck(['report', 'diff', good, junk]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/junk\/results\.json is not valid JSON/);
    expect(unreadable.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  }, 60_000);
});

// The mutation area map covers the hub, and the sample the mutation runs draw is seeded, exact and fair.
import { existsSync, readFileSync } from 'node:fs';
import type { Mutant } from '@stryker-mutator/api/core';
import { describe, expect, it } from 'vitest';
import { AREAS, hubFiles, limitLines, mapGaps, matchesGlob, resolveArea, type AreaName } from '../../mutation/areas.js';
import { parseCli, strykerOptions } from '../../mutation/run.js';
import { drawSample, mutantKey, reattribute } from '../../mutation/stryker-plugins.js';

describe('area map', () => {
  it('puts every hub file in an area or says why not, and every suite in an area', () => {
    expect(mapGaps()).toEqual({ unmapped: [], stale: [], suitesInNoArea: [] });
  });

  it('names only suite files that exist', () => {
    for (const name of Object.keys(AREAS) as AreaName[]) {
      for (const s of resolveArea(name).suites) if (!s.includes('*')) expect(existsSync(s), `${name}: ${s}`).toBe(true);
    }
  });

  it('matches globs by path level', () => {
    expect(matchesGlob('hub/auth/connect.ts', 'hub/auth/**/*.ts')).toBe(true);
    expect(matchesGlob('hub/services/ota/deep/x.ts', 'hub/services/ota/**/*.ts')).toBe(true);
    expect(matchesGlob('hub/authz.ts', 'hub/auth/**/*.ts')).toBe(false);
    expect(matchesGlob('hub/services/ntp.ts', 'hub/services/ntp/**/*.ts')).toBe(false);
    expect(matchesGlob('hub/limits.ts', 'hub/limits.ts')).toBe(true);
  });

  it('gives the limits area the lines that use a limit, never an import, and the suites of their areas', () => {
    const lines = limitLines();
    expect(lines.some((r) => r.startsWith('hub/acl/publish.ts:')), 'the PUBLISH size and topic length checks').toBe(true);
    for (const range of lines) {
      const [, file, line] = /^(.*):(\d+)-\2$/.exec(range)!;
      const text = readFileSync(file!, 'utf8').split('\n')[Number(line) - 1]!;
      expect(text, range).toMatch(/\b[A-Z][A-Z0-9_]+\b/);
      expect(text, range).not.toMatch(/^import\b|from '\.\.?\/.*limits\.js'/);
    }
    const { mutate, suites } = resolveArea('limits');
    expect(mutate[0]).toBe('hub/limits.ts');
    expect(suites).toEqual(expect.arrayContaining(['suites/limits.test.ts', 'suites/auth.test.ts', 'suites/acl.test.ts']));
    expect(hubFiles()).toContain('hub/limits.ts');
  });
});

describe('command line', () => {
  it('reads areas, samples and the runner', () => {
    expect(parseCli(['--area', 'ntp', '--sample', '20%', '--seed', '7'])).toMatchObject({ areas: ['ntp'], sample: { percent: 20, seed: '7' }, runner: 'vitest', concurrency: 1, confirm: true, recheck: false });
    expect(parseCli(['--area', 'ntp', '--no-confirm']).confirm).toBe(false);
    expect(parseCli(['--area', 'ntp', '--recheck']).recheck).toBe(true);
    expect(parseCli(['--area', 'all']).areas).toEqual(Object.keys(AREAS));
    expect(parseCli(['--area', 'log', '--sample', '30']).sample).toEqual({ size: 30, seed: '1' });
  });

  it('refuses what it cannot do, with the usage', () => {
    for (const argv of [['--area', 'nope'], [], ['--area', 'ntp', '--sample', '0'], ['--area', 'ntp', '--sample', '120%'], ['--area', 'ntp', '--seed', '3'], ['--area', 'ntp', '--runner', 'jest'], ['--area', 'ntp', '--recheck', '--sample', '5']]) {
      expect(() => parseCli(argv), argv.join(' ')).toThrow(/usage: npm run mutation/);
    }
  });

  it('runs the vitest runner with per-test coverage over all the area\'s suites, the sampler first among reporters', () => {
    const o = strykerOptions('ntp', parseCli(['--area', 'ntp']));
    expect(o).toMatchObject({ testRunner: 'hubcheck-vitest', coverageAnalysis: 'perTest', vitest: { related: false }, mutate: ['hub/services/ntp/**/*.ts'] });
    expect((o.reporters as string[])[0]).toBe('hubcheck');
    const c = strykerOptions('ntp', parseCli(['--area', 'ntp', '--runner', 'command']));
    expect(c).toMatchObject({ testRunner: 'command', coverageAnalysis: 'off' });
    const confirm = strykerOptions('ntp', parseCli(['--area', 'ntp']), '/tmp/first-pass');
    expect(confirm).toMatchObject({ testRunner: 'hubcheck-vitest', coverageAnalysis: 'off', hubcheck: { confirm: { firstPassDir: '/tmp/first-pass' } } });
  });
});

describe('sample', () => {
  const mutant = (id: number): Mutant => ({
    id: String(id), fileName: `/repo/hub/x${id % 3}.ts`, mutatorName: id % 2 ? 'StringLiteral' : 'BlockStatement', replacement: `"${id}"`,
    location: { start: { line: id, column: 2 }, end: { line: id, column: 9 } },
  });
  const population = Array.from({ length: 200 }, (_, i) => mutant(i));

  it('draws exactly the asked number, the same for the same seed whatever the order', () => {
    const a = drawSample(population, { size: 25, seed: '1' }, '/repo');
    const b = drawSample([...population].reverse(), { size: 25, seed: '1' }, '/repo');
    expect(a.drawn).toBe(25);
    expect(new Set(a.ids).size).toBe(25);
    expect([...b.ids].sort()).toEqual([...a.ids].sort());
    expect(drawSample(population, { size: 25, seed: '2' }, '/repo').ids.sort()).not.toEqual([...a.ids].sort());
    expect(drawSample(population, { percent: 10, seed: '1' }, '/repo').drawn).toBe(20);
    expect(drawSample(population, { size: 500, seed: '1' }, '/repo').drawn).toBe(200);
  });

  it('gives every mutant the same chance (no file or mutator is favoured)', () => {
    const hits = new Map<string, number>();
    for (let seed = 0; seed < 300; seed++) {
      for (const id of drawSample(population, { size: 20, seed: String(seed) }, '/repo').ids) hits.set(id, (hits.get(id) ?? 0) + 1);
    }
    // 300 draws of 20 of 200: each mutant is expected 30 times; a fair draw keeps all of them well inside 10–55
    expect(hits.size).toBe(200);
    for (const n of hits.values()) {
      expect(n).toBeGreaterThan(10);
      expect(n).toBeLessThan(55);
    }
  });

  it('keys a mutant by its source, the same in the project and in a sandbox copy', () => {
    const m = mutant(4);
    expect(mutantKey(m, '/repo')).toBe('hub/x1.ts:5:3-5:10 BlockStatement "4"'); // the report's 1-based lines and columns
    expect(mutantKey({ ...m, fileName: '/repo/.stryker-tmp/sandbox-AB12/hub/x1.ts' }, '/repo')).toBe(mutantKey(m, '/repo'));
  });
});

describe('coverage outside tests', () => {
  const file = (filepath: string, own: Record<string, number>, atStartup?: Record<string, number>) => ({
    filepath, meta: { mutantCoverage: { static: own, perTest: {} }, ...(atStartup ? { hubcheckStartupCoverage: atStartup } : {}) },
  });
  const tests = [
    { id: 'suites/a.test.ts#one', fileName: '/p/suites/a.test.ts' },
    { id: 'suites/a.test.ts#two', fileName: '/p/suites/a.test.ts' },
    { id: 'suites/b.test.ts#three', fileName: '/p/suites/b.test.ts' },
  ];

  it('keeps what the hub start-up ran static and gives the rest to the tests of that file', () => {
    const files = [file('/p/suites/a.test.ts', { 1: 3, 2: 2, 3: 1 }, { 1: 3, 2: 1 }), file('/p/suites/b.test.ts', { 1: 3 }, { 1: 3 })];
    const out = reattribute(files, tests, { static: {}, perTest: { 'suites/b.test.ts#three': { 4: 1 } } });
    expect(out.static).toEqual({ 1: 6, 2: 1 });
    expect(out.perTest).toEqual({
      'suites/a.test.ts#one': { 2: 1, 3: 1 },
      'suites/a.test.ts#two': { 2: 1, 3: 1 },
      'suites/b.test.ts#three': { 4: 1 },
    });
  });

  it('leaves coverage static where it cannot tell (no start-up record, or no test in the file)', () => {
    const files = [file('/p/suites/a.test.ts', { 5: 1 }), file('/p/suites/c.test.ts', { 6: 2 }, {})];
    expect(reattribute(files, tests, { static: {}, perTest: {} })).toEqual({ static: { 5: 1, 6: 2 }, perTest: {} });
  });
});

describe('triaged mutants (mutation/triaged.json)', () => {
  const entries = JSON.parse(readFileSync('mutation/triaged.json', 'utf8')) as { key: string; area: string; verdict: string; reason: string }[];

  it('each names a mutant of an existing hub file, an area, a verdict and its reason, once', () => {
    const seen = new Set<string>();
    for (const e of entries) {
      const m = /^(hub\/\S+\.ts):(\d+):(\d+)-(\d+):(\d+) (\w+) /.exec(e.key);
      expect(m, e.key).not.toBeNull();
      expect(existsSync(m![1]!), `${e.key}: the file`).toBe(true);
      expect(readFileSync(m![1]!, 'utf8').split('\n').length, `${e.key}: the line`).toBeGreaterThanOrEqual(Number(m![4]));
      expect(Object.keys(AREAS), e.key).toContain(e.area);
      expect(['equivalent', 'equivalent under the catalogue', 'outside the protocol'], e.key).toContain(e.verdict);
      expect(e.reason.length, `${e.key}: a reason of some substance`).toBeGreaterThan(20);
      expect(seen.has(e.key), `${e.key} listed twice`).toBe(false);
      seen.add(e.key);
    }
  });
});

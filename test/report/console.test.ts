/** Terminal summary: the area table, the failure list, and the exact final line CI greps for. */
import { describe, it, expect } from 'vitest';
import { formatSummary } from '../../src/report/console.js';
import { mixedTests, run, test } from './fixtures.js';

const ANSI = /\u001b\[[0-9;]*m/;

describe('formatSummary', () => {
  it('ends with the exact count line and has no colour when disabled', () => {
    const out = formatSummary(run(mixedTests), { color: false });
    expect(out).not.toMatch(ANSI);
    expect(out.split('\n').at(-1)).toBe('2 passed, 1 failed, 1 not applicable');
    expect(out).toContain('1 errored');
  });

  it('prints one aligned line per area', () => {
    const lines = formatSummary(run(mixedTests), { color: false }).split('\n');
    expect(lines[0]).toMatch(/^area\s+tests\s+passed\s+failed\s+errors\s+n\/a$/);
    expect(lines[1]).toMatch(/^auth\s+2\s+1\s+1\s+0\s+0$/);
    expect(lines[3]).toMatch(/^shadow\s+2\s+1\s+0\s+0\s+1$/);
    expect(new Set(lines.slice(0, 4).map((l) => l.length)).size).toBe(1);
  });

  it('uses the four agreed columns when nothing errored', () => {
    const out = formatSummary(run([test({ name: '[A-1] a', verdict: 'pass' })]), { color: false });
    expect(out.split('\n')[0]).toMatch(/^area\s+tests\s+passed\s+failed\s+n\/a$/);
    expect(out).not.toContain('Failures');
    expect(out.split('\n').at(-1)).toBe('1 passed, 0 failed, 0 not applicable');
  });

  it('lists failed and errored tests with requirement ids and the first error line only', () => {
    const out = formatSummary(run(mixedTests), { color: false });
    expect(out).toMatch(/FAIL\s+AUTH-003\s+expired signature is refused \(suites\/auth\.test\.ts\)/);
    expect(out).toContain('expected CONNACK rc 4, got 0');
    expect(out).not.toContain('second line');
    expect(out).toMatch(/ERROR\s+OTA-001\s+firmware upgrade notice/);
    expect(out).toContain('hub crashed: ECONNRESET');
    expect(out).not.toContain('valid signature');
  });

  it('colours when enabled without splitting the final line', () => {
    const out = formatSummary(run(mixedTests), { color: true });
    expect(out).toMatch(ANSI);
    expect(out.split('\n').at(-1)!.replace(new RegExp(ANSI.source, 'g'), '')).toBe('2 passed, 1 failed, 1 not applicable');
    expect(out).toContain('2 passed, 1 failed, 1 not applicable');
  });
});

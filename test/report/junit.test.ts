/** JUnit XML: well-formed whatever the evidence contains, with the counts and shape CI reporters expect. */
import { describe, it, expect } from 'vitest';
import { toJUnitXml } from '../../src/report/junit.js';
import { all, parseXml } from './xml-check.js';
import { HOSTILE, mixedTests, run } from './fixtures.js';

const xml = toJUnitXml(run(mixedTests));
const root = parseXml(xml);
const cases = all(root, 'testcase');
const byName = (n: string) => cases.find((c) => c.attrs.name!.includes(n))!;

describe('toJUnitXml', () => {
  it('is well-formed XML with a declaration', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(root.name).toBe('testsuites');
  });

  it('has run-level counts on <testsuites>', () => {
    expect(root.attrs).toEqual({ name: 'hubcheck', tests: '5', failures: '1', errors: '1', skipped: '1', time: '1.234' });
  });

  it('emits one <testsuite> per file with its own counts', () => {
    const suites = all(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['suites/auth.test.ts', 'suites/shadow/delta.test.ts', 'suites/ota.test.ts']);
    expect(suites[1]!.attrs).toMatchObject({ tests: '2', failures: '0', errors: '0', skipped: '1', time: '0.042' });
    expect(suites[2]!.attrs).toMatchObject({ tests: '1', errors: '1' });
  });

  it('names testcases with dotted classnames and seconds', () => {
    expect(byName('AUTH-003').attrs).toMatchObject({ classname: 'suites.auth', name: '[AUTH-003] expired signature is refused', time: '1.500' });
    expect(byName('SHADOW-002').attrs.classname).toBe('suites.shadow.delta');
  });

  it('attaches requirement ids as properties', () => {
    const props = all(byName('AUTH-003'), 'property');
    expect(props.map((p) => p.attrs)).toEqual([{ name: 'requirement', value: 'AUTH-003' }]);
  });

  it('puts the error and the evidence into <failure>, minus illegal characters', () => {
    const [failure] = all(byName('AUTH-003'), 'failure');
    expect(failure!.attrs.message).toBe('expected CONNACK rc 4, got 0\nsecond line');
    expect(failure!.attrs.type).toBe('AssertionError');
    expect(failure!.text).toContain('at suites/auth.test.ts:42:7');
    expect(failure!.text).toContain('--- mqtt: CONNECT -> CONNACK <rc> ---');
    expect(failure!.text).toContain('CONNECT clientId=a&b');
    // Round-trips except for the characters XML 1.0 cannot carry.
    expect(failure!.text).toContain(HOSTILE.replace(/[\u0000-\u0008\u000b\u001b]/g, ''));
    expect(xml).toContain(']]&gt;');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('uses <error> for errored tests and <skipped message> for not-applicable ones', () => {
    expect(all(byName('OTA-001'), 'error')[0]!.attrs).toEqual({ message: 'hub crashed: ECONNRESET', type: 'Error' });
    expect(all(byName('SHADOW-002'), 'skipped')[0]!.attrs.message).toBe('profile "basic" has no <shadow> & no delta');
    expect(all(byName('AUTH-001'), 'failure')).toHaveLength(0);
    expect(all(byName('AUTH-001'), 'system-out')[0]!.text).toContain('<ok>');
  });

  it('survives lone surrogates and an empty run', () => {
    const r = run([{ ...mixedTests[1]!, name: 'bad \ud800 surrogate', requirements: [] }]);
    expect(() => parseXml(toJUnitXml(r))).not.toThrow();
    expect(parseXml(toJUnitXml(run([]))).attrs.tests).toBe('0');
  });

  it('is rejected by the checker when unbalanced (sanity check of the checker)', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a>x & y</a>')).toThrow();
    expect(() => parseXml('<a>]]></a>')).toThrow();
  });
});

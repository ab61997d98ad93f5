/** Renders a RunResult as JUnit XML in the dialect the Jenkins, GitLab and GitHub test reporters read. */
import type { Evidence, RunResult, TestResult } from './model.js';

// Complement of the XML 1.0 Char production: C0 controls, lone surrogates and U+FFFE/FFFF
// make strict parsers reject the whole file, so they are dropped rather than escaped.
const ILLEGAL_XML_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Character data. `>` is always escaped so a literal `]]>` (forbidden in text) can never appear. */
function text(s: string): string {
  return s
    .replace(ILLEGAL_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Attribute values; whitespace is encoded because parsers would otherwise normalise newlines to spaces. */
function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join('');
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** "suites/auth.test.ts" -> "suites.auth", the package-like name reporters group by. */
function classNameFor(file: string): string {
  return file
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .replace(/\.test\.ts$/, '')
    .replace(/\//g, '.');
}

function evidenceText(evidence: Evidence[]): string {
  return evidence.map((e) => `--- ${e.kind}: ${e.title} ---\n${e.lines.join('\n')}`).join('\n\n');
}

function failureBody(t: TestResult): string {
  const parts: string[] = [];
  const { message = '', stack } = t.error ?? {};
  // Node stacks usually start with "Name: message"; avoid printing the message twice.
  if (stack && message && stack.includes(message)) parts.push(stack);
  else parts.push(...[message, stack].filter((s): s is string => !!s));
  if (t.evidence.length > 0) parts.push(evidenceText(t.evidence));
  return parts.join('\n\n');
}

function errorType(t: TestResult, fallback: string): string {
  return /^\s*([A-Za-z_$][\w$]*(?:Error|Exception))\b/.exec(t.error?.stack ?? '')?.[1] ?? fallback;
}

function testcase(t: TestResult): string {
  const out: string[] = [];
  out.push(`    <testcase${attrs({ classname: classNameFor(t.file), name: t.name, time: seconds(t.durationMs), file: t.file })}>`);
  if (t.requirements.length > 0) {
    out.push('      <properties>');
    for (const r of t.requirements) out.push(`        <property${attrs({ name: 'requirement', value: r })}/>`);
    out.push('      </properties>');
  }
  if (t.verdict === 'fail' || t.verdict === 'error') {
    const tag = t.verdict === 'fail' ? 'failure' : 'error';
    const message = t.error?.message ?? (t.verdict === 'fail' ? 'test failed' : 'test errored');
    const type = errorType(t, t.verdict === 'fail' ? 'AssertionError' : 'Error');
    out.push(`      <${tag}${attrs({ message, type })}>${text(failureBody(t))}</${tag}>`);
  } else {
    if (t.verdict === 'not-applicable') out.push(`      <skipped${attrs({ message: t.reason ?? 'not applicable' })}/>`);
    // Evidence of passing / skipped tests still helps an audit; reporters show system-out.
    if (t.evidence.length > 0) out.push(`      <system-out>${text(evidenceText(t.evidence))}</system-out>`);
  }
  out.push('    </testcase>');
  return out.join('\n');
}

function counts(tests: TestResult[]) {
  return {
    tests: tests.length,
    failures: tests.filter((t) => t.verdict === 'fail').length,
    errors: tests.filter((t) => t.verdict === 'error').length,
    skipped: tests.filter((t) => t.verdict === 'not-applicable').length,
  };
}

export function toJUnitXml(result: RunResult): string {
  // One <testsuite> per file, in first-seen order (Map keeps insertion order).
  const byFile = new Map<string, TestResult[]>();
  for (const t of result.tests) {
    const list = byFile.get(t.file);
    if (list) list.push(t);
    else byFile.set(t.file, [t]);
  }
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: 'hubcheck', ...counts(result.tests), time: seconds(result.summary.durationMs) })}>`);
  for (const [file, tests] of byFile) {
    const time = seconds(tests.reduce((ms, t) => ms + t.durationMs, 0));
    out.push(`  <testsuite${attrs({ name: file, ...counts(tests), time, timestamp: result.startedAt })}>`);
    for (const t of tests) out.push(testcase(t));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

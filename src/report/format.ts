/** Small formatting helpers shared by the human-facing reports (HTML and console). */
import type { TestResult, Verdict } from './model.js';

// Lower rank sorts first: whoever opens a report wants the broken things on top.
const VERDICT_RANK: Record<Verdict, number> = { fail: 0, error: 1, 'not-applicable': 2, pass: 3 };

export function isBad(t: TestResult): boolean {
  return t.verdict === 'fail' || t.verdict === 'error';
}

/** Stable sort: failures, errors, not-applicable, passes; original order kept within each verdict. */
export function failuresFirst(tests: readonly TestResult[]): TestResult[] {
  return tests
    .map((t, i) => ({ t, i }))
    .sort((a, b) => VERDICT_RANK[a.t.verdict] - VERDICT_RANK[b.t.verdict] || a.i - b.i)
    .map((x) => x.t);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** The line a human reads first: the error's first non-empty line, else the stack's. */
export function firstErrorLine(t: TestResult): string {
  const text = t.error?.message || t.error?.stack || '';
  return text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Drops a leading "[AUTH-003] " from a title when the ids are already shown beside it. */
export function titleWithoutIds(t: TestResult): string {
  return t.requirements.length > 0 ? t.name.replace(/^\s*\[[^\]]*\]\s*/, '') : t.name;
}

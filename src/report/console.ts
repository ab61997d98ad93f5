/** Formats the terminal summary printed at the end of a run (per-area table, failures, final count line). */
import pc from 'picocolors';
import type { RunResult } from './model.js';
import { failuresFirst, firstErrorLine, isBad, titleWithoutIds } from './format.js';

const MAX_ERROR_LINE = 200;

export function formatSummary(result: RunResult, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const s = result.summary;
  // The errors column only appears when something errored, keeping the usual table to the four agreed columns.
  const withErrors = s.errors > 0;
  const header = ['area', 'tests', 'passed', 'failed', ...(withErrors ? ['errors'] : []), 'n/a'];
  const rows = result.areas.map((a) => [a.area || '(none)', ...[a.tests, a.passed, a.failed, ...(withErrors ? [a.errors] : []), a.notApplicable].map(String)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Pad before colouring: ANSI codes would otherwise count towards the column width.
  const line = (cells: string[]) => cells.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');

  const out: string[] = [c.bold(line(header))];
  for (const r of rows) {
    const failed = Number(r[3]) > 0 || (withErrors && Number(r[4]) > 0);
    out.push(failed ? c.red(line(r)) : line(r));
  }

  const bad = failuresFirst(result.tests).filter(isBad);
  if (bad.length > 0) {
    out.push('', c.bold('Failures:'));
    for (const t of bad) {
      const label = t.verdict === 'fail' ? c.red('FAIL ') : c.yellow('ERROR');
      const ids = t.requirements.length ? c.bold(t.requirements.join(', ')) + '  ' : '';
      out.push(`  ${label} ${ids}${titleWithoutIds(t)} ${c.dim(`(${t.file})`)}`);
      let msg = firstErrorLine(t) || '(no error message)';
      if (msg.length > MAX_ERROR_LINE) msg = msg.slice(0, MAX_ERROR_LINE - 1) + '…';
      out.push(`         ${c.dim(msg)}`);
    }
  }

  if (result.coverage?.length) out.push('', ...formatCoverage(result, c));

  if (result.findings?.length) {
    out.push('', c.bold(c.yellow(`Probe findings (${result.findings.length} claim(s) contradicted):`)));
    for (const f of result.findings) out.push(`  ${c.yellow(f.id)}: claimed ${f.claim}; measured: ${f.measured}`);
  }

  out.push('');
  if (withErrors) out.push(c.yellow(`${s.errors} errored`));
  // CI tooling greps this exact phrasing: colour wraps the whole line, never the numbers alone.
  const final = `${s.passed} passed, ${s.failed} failed, ${s.notApplicable} not applicable`;
  out.push(s.failed + s.errors > 0 ? c.red(c.bold(final)) : c.green(c.bold(final)));
  return out.join('\n');
}

/** Requirement coverage per area, then the MUSTs no test exercised, grouped by area. */
function formatCoverage(result: RunResult, c: ReturnType<typeof pc.createColors>): string[] {
  const rows = result.coverage ?? [];
  const header = ['requirements', 'applicable', 'tested', 'passed', 'failed'];
  const cells = rows.map((r) => [r.area, String(r.requirements), String(r.tested), String(r.passed), String(r.failed)]);
  const total = rows.reduce((t, r) => [t[0]! + r.requirements, t[1]! + r.tested, t[2]! + r.passed, t[3]! + r.failed], [0, 0, 0, 0]);
  cells.push(['all', ...total.map(String)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (v: string[]) => v.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  const out = [c.bold(line(header)), ...cells.map((r) => (Number(r[4]) > 0 ? c.red(line(r)) : line(r)))];
  const untested = rows.filter((r) => r.untestedMust.length);
  if (untested.length) {
    out.push('', c.bold(`MUSTs without a test (${untested.reduce((n, r) => n + r.untestedMust.length, 0)}):`));
    for (const r of untested) out.push(`  ${r.area}: ${r.untestedMust.join(' ')}`);
  }
  return out;
}

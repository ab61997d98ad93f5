/** `hubcheck selftest`: prove each fault switch of the reference hub is caught by the tests of the requirement it breaks. */
import pc from 'picocolors';
import { selftest } from '../runner/selftest.js';

export async function selftestCommand(opts: { fault: string[]; baseline?: boolean }): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  const result = await selftest({ faults: opts.fault, baseline: opts.baseline !== false, progress: { write: out }, log: (l) => out(`${l}\n`) });
  let ok = true;
  if (result.baselineFailures.length) {
    ok = false;
    out(`${pc.red('baseline failed')}: the reference hub without faults fails ${result.baselineFailures.length} test(s):\n`);
    for (const t of result.baselineFailures) out(`  ${t.name}\n`);
  }
  // The fault column is as wide as the longest name, so no name runs into the verdict.
  const width = Math.max('fault'.length, ...result.faults.map((f) => f.fault.length)) + 2;
  out(`\n${'fault'.padEnd(width)}caught  failing tests\n`);
  for (const f of result.faults) {
    ok &&= f.caught;
    out(`${f.fault.padEnd(width)}${(f.caught ? pc.green('yes') : pc.red('NO ')).padEnd(8)}${f.catching.length} (${(f.durationMs / 1000).toFixed(1)} s)\n`);
    for (const t of f.catching) out(`    ${t.name}\n`);
    if (f.collateral.length) out(`    also failed: ${f.collateral.map((t) => t.name).join('; ')}\n`);
  }
  const missed = result.faults.filter((f) => !f.caught).map((f) => f.fault);
  out(missed.length ? `${pc.red(`${missed.length} fault(s) not caught: ${missed.join(', ')}`)}\n` : `${pc.green(`all ${result.faults.length} faults caught`)}\n`);
  return ok ? 0 : 1;
}

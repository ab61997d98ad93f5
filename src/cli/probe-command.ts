/** `hubcheck probe`: start or reach the target, measure its real limits, print them and the claims they contradict. */
import { writeFile } from 'node:fs/promises';
import pc from 'picocolors';
import { probeTarget } from '../probe/index.js';
import { probeRows } from '../report/probe-rows.js';
import { descriptorFor, launch } from '../target/launch.js';

export async function probeCommand(opts: { target?: string; json?: string }, out: (line: string) => void): Promise<number> {
  const c = pc.createColors(process.stdout.isTTY === true);
  const launched = await launch(await descriptorFor(opts.target));
  try {
    out(`hubcheck probe: ${launched.target.name}`);
    const { probe, findings } = await probeTarget(launched.target);
    const rows = probeRows(probe, '>= ');
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) out(`  ${k.padEnd(width)}  ${v}`);
    for (const n of probe.notes) out(c.dim(`  note: ${n}`));
    out(`  (${probe.durationMs} ms)`);
    if (findings.length) {
      out(c.yellow(`${findings.length} claim(s) contradicted:`));
      for (const f of findings) out(`  ${c.yellow(f.id)}: claimed ${f.claim}; measured: ${f.measured}`);
    } else {
      out(c.green('no claim of the target was contradicted'));
    }
    if (opts.json) await writeFile(opts.json, JSON.stringify({ target: launched.target.name, probe, findings }, null, 2) + '\n');
    return findings.length ? 1 : 0;
  } finally {
    await launched.stop();
  }
}

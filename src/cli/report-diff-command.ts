/** `hubcheck report diff A B`: requirement verdicts that regressed, improved, appeared or vanished; exit 1 on a regression. */
import { diffVerdicts, formatDiff, loadVerdicts } from '../report/diff.js';

export async function reportDiffCommand(a: string, b: string, print: (line: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const from = loadVerdicts(a);
  const to = loadVerdicts(b);
  const d = diffVerdicts(from, to);
  print(formatDiff(from, to, d));
  return d.regressed.length ? 1 : 0;
}

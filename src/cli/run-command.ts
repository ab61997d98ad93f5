/** `hubcheck run`: run the suites, print progress and the per-area summary, write the reports. */
import pc from 'picocolors';
import { formatSummary } from '../report/console.js';
import { exitCodeFor } from '../report/summarize.js';
import { HubcheckError } from '../errors.js';
import { MAX_PARALLEL, runConformance } from '../runner/run.js';

/** `--parallel N` as a number; anything but digits is refused here, with the text that was given. */
function parallelOption(text: string): number {
  if (!/^\d+$/.test(text)) throw new HubcheckError('BAD_OPTION', `--parallel takes a whole number of suite files to run at once, from 1 to ${MAX_PARALLEL} (got ${JSON.stringify(text)})`);
  return Number(text);
}

export async function runCommand(opts: { target?: string; only?: string; reportDir?: string; long?: boolean; probe?: boolean; parallel?: string }): Promise<number> {
  const color = process.stdout.isTTY === true;
  process.stdout.write(`hubcheck: ${opts.target ? `target ${opts.target}` : 'embedded reference hub'}\n`);
  const outcome = await runConformance({
    target: opts.target,
    only: opts.only,
    reportDir: opts.reportDir,
    ...(opts.long ? { long: true } : {}),
    ...(opts.probe === false ? { probe: false } : {}),
    ...(opts.parallel !== undefined ? { parallel: parallelOption(opts.parallel) } : {}),
    progress: { write: (s) => process.stdout.write(s) },
  });
  for (const e of outcome.runErrors) process.stdout.write(`${pc.red('run error')} ${e}\n`);
  process.stdout.write(`${formatSummary(outcome.result, { color })}\n`);
  if (outcome.paths) {
    process.stdout.write(`reports: ${outcome.paths.html}\n         ${outcome.paths.json}\n         ${outcome.paths.junit}\n`);
  }
  return outcome.runErrors.length ? 1 : exitCodeFor(outcome.result);
}

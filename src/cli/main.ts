/** The hubcheck command line: parses arguments and dispatches to one command module; the only place that sets the exit code. */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { HubcheckError } from '../errors.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('hubcheck')
    .description('Conformance and load-test harness for Tencent Cloud IoT Hub compatible device hubs')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('run')
    .description('run the conformance suites against a target (default: the embedded reference hub) and write reports')
    .option('--target <file>', 'target descriptor (YAML or JSON; see schemas/target.schema.json)')
    .option('--only <pattern>', 'run only tests whose title matches this regular expression (titles begin with requirement ids)')
    .option('--report-dir <dir>', 'write the reports here instead of reports/<run-id>')
    .action(async (opts: { target?: string; only?: string; reportDir?: string }) => {
      const { runCommand } = await import('./run-command.js');
      exitCode = await runCommand(opts);
    });

  program.command('list')
    .description('list the requirement catalogue with the number of tests behind each id (offline)')
    .option('--area <area>', 'only this area, e.g. auth, wildcards, shadow')
    .option('--untested', 'only requirements no test cites')
    .action(async (opts: { area?: string; untested?: boolean }) => {
      const { listCommand } = await import('./catalogue-commands.js');
      exitCode = await listCommand(opts, (s) => process.stdout.write(`${s}\n`));
    });

  program.command('explain')
    .description('explain one requirement: statement, source, level, choice, tests and last verdict (offline)')
    .argument('<id>', 'a requirement id, e.g. AUTH-001')
    .action(async (id: string) => {
      const { explainCommand } = await import('./catalogue-commands.js');
      exitCode = await explainCommand(id, (s) => process.stdout.write(`${s}\n`));
    });

  program.command('hub')
    .description('start the reference hub standalone and print its endpoints and API credentials')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[options...]', 'hub options: --mqtt-port, --ws-port, --api-port, --host, --data FILE, --secret-id, --secret-key, --fault NAME')
    .action(async (args: string[]) => {
      const { runHubCli } = await import('../../hub/main.js');
      exitCode = await runHubCli(args);
    });

  program.command('selftest')
    .description('run the suites against the reference hub with each fault switched on; fails if a fault goes unnoticed')
    .option('--fault <name>', 'check only this fault (repeatable)', collect, [] as string[])
    .action(async (opts: { fault: string[] }) => {
      const { selftestCommand } = await import('./selftest-command.js');
      exitCode = await selftestCommand(opts);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof HubcheckError) {
      process.stderr.write(`${pc.red('error')} ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`${pc.red('internal error')} ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
  return exitCode;
}

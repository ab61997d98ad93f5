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
    .option('--target <file>', 'target descriptor (YAML or JSON; see schemas/target.schema.json), or docker:IMAGE[:TAG] for the reference hub\'s image')
    .option('--only <pattern>', 'run only tests whose title matches this regular expression (titles begin with requirement ids)')
    .option('--report-dir <dir>', 'write the reports here instead of reports/<run-id>')
    .option('--no-probe', 'do not measure the target\'s limits before the suites')
    .option('--long', 'run tests of limits measured in hours (24 h expiry) on a target without a test clock, waiting for real')
    .option('--parallel <n>', 'suite files run at once (default 4; 1 for a target that must see one client at a time)')
    .action(async (opts: { target?: string; only?: string; reportDir?: string; long?: boolean; probe?: boolean; parallel?: string }) => {
      const { runCommand } = await import('./run-command.js');
      exitCode = await runCommand(opts);
    });

  program.command('certify')
    .description('run the whole profile at certification depth and write a signed bundle (verdicts, evidence, certificate, badge); exits 0 only when certified')
    .option('--target <file>', 'target descriptor, or docker:IMAGE[:TAG] (default: the embedded reference hub)')
    .option('--profile <profile>', 'the profile to certify: tencent-hub or mqtt-core (default: the descriptor\'s)')
    .option('--key <file>', 'your private signing key (PEM; make one with hubcheck keygen)')
    .option('--out <dir>', 'a new or empty directory for the bundle (default reports/certify-<run-id>)')
    .option('--seed <n>', 'base fast-check seed (default: random, recorded in the bundle; HUBCHECK_SEED also sets it)')
    .option('--parallel <n>', 'suite files run at once (default 4)')
    .action(async (opts: import('./certify-command.js').CertifyCliOptions) => {
      const { certifyCommand } = await import('./certify-command.js');
      exitCode = await certifyCommand(opts);
    });

  program.command('verify')
    .description('check a certification bundle offline: signature, every file\'s digest, no file missing or added, the suite; exits 0 certified, 1 refused, 4 authentic but not certified')
    .argument('<bundle>', 'the bundle directory hubcheck certify wrote')
    .option('--key <file>', 'the vendor\'s public key (PEM); without it the bundle\'s own signer.pub is used and the result says so')
    .option('--accept-other-suite', 'accept a bundle judged by another suite version (said plainly) instead of refusing it')
    .action(async (bundle: string, opts: { key?: string; acceptOtherSuite?: boolean }) => {
      const { verifyCommand } = await import('./certify-command.js');
      exitCode = await verifyCommand(bundle, opts);
    });

  program.command('keygen')
    .description('make a signing key pair for certify: PREFIX.key (private, mode 0600) and PREFIX.pub (public, to publish)')
    .option('--out <prefix>', 'file name prefix (default hubcheck-signing)')
    .option('--type <type>', 'ed25519 (default) or ecdsa-p256')
    .action(async (opts: { out?: string; type?: string }) => {
      const { keygenCommand } = await import('./certify-command.js');
      exitCode = await keygenCommand(opts);
    });

  program.command('probe')
    .description('measure the target\'s real limits (topic, packet, keepalive, QoS 2, inflight, retain, will) and report claims they contradict; exits 1 if any')
    .option('--target <file>', 'target descriptor, or docker:IMAGE[:TAG] (default: the embedded reference hub)')
    .option('--json <file>', 'also write the measurements and findings as JSON')
    .action(async (opts: { target?: string; json?: string }) => {
      const { probeCommand } = await import('./probe-command.js');
      exitCode = await probeCommand(opts, (s) => process.stdout.write(`${s}\n`));
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
    .argument('[options...]', 'hub options: --mqtt-port, --ws-port, --api-port, --host, --data FILE, --redis URL, --secret-id, --secret-key, --fault NAME')
    .action(async (args: string[]) => {
      const { runHubCli } = await import('../../hub/main.js');
      exitCode = await runHubCli(args);
    });

  program.command('replay')
    .description('re-run a saved, shrunk model sequence (reports/<run-id>/replays/*.json) step by step, printing the packets; exits 1 if it still fails')
    .argument('<file>', 'a replay file written by a failing model-based test')
    .option('--target <file>', 'target descriptor (default: the embedded reference hub with the faults recorded in the file)')
    .action(async (file: string, opts: { target?: string }) => {
      const { replayCommand } = await import('./replay-command.js');
      exitCode = await replayCommand(file, opts);
    });

  program.command('selftest')
    .description('run the suites against the reference hub with each fault switched on; fails if a fault goes unnoticed')
    .option('--fault <name>', 'check only this fault (repeatable)', collect, [] as string[])
    .option('--no-baseline', 'skip the fault-free run of the same tests (only where they just passed against the reference hub, as in npm test)')
    .action(async (opts: { fault: string[]; baseline: boolean }) => {
      const { selftestCommand } = await import('./selftest-command.js');
      exitCode = await selftestCommand(opts);
    });

  program.command('load')
    .description('run a load scenario (fleet engine or k6) against a target; writes reports/<run-id>/load.json and load.html')
    .argument('[scenario]', 'connect-storm, idle-hold, cycle, telemetry, c2d-fanout, shadow-churn, rrpc, http-publish, http-reportlog, cloud-api')
    .option('--target <file>', 'target descriptor (default: the embedded reference hub)')
    .option('--engine <engine>', 'fleet (default), k6 (a k6 with xk6-mqtt you bring) or k6-runtime (the k6 scripts without k6)')
    .option('--devices <n>', 'fleet size (stage targets scale with it; cycle: the identities to cycle through)')
    .option('--duration <s>', 'seconds of the last (steady) stage (cycle: the time limit of the run)')
    .option('--rate <n>', 'messages or requests per second of the scenario\'s traffic')
    .option('--qos <0|1>', 'telemetry QoS')
    .option('--connect-rate <n>', 'CONNECTs per second')
    .option('--max-pending <n>', 'CONNECTs awaiting CONNACK at most (throttle)')
    .option('--processes <n>', 'child processes for the fleet (each holds < 20,000 open files); 0 = this process')
    .option('--threads <n>', 'engine threads per process')
    .option('--local-addresses <list>', 'source addresses, e.g. 127.0.0.1-4 (spreads the ephemeral ports)')
    .option('--fixtures <file>', 'device credentials CSV (productId,deviceName,psk) instead of creating devices through the API')
    .option('--fixtures-offset <n>', 'first row of the fixtures file to use')
    .option('--make-fixtures <file>', 'write a fixtures file of --devices devices and exit (import with hubcheck hub --import-devices)')
    .option('--hub-pid <pid>', 'pid of a local hub process, to report its CPU and memory')
    .option('--segment <i/n>', 'run slice i of n of the scenario (merge the reports with hubcheck report merge)')
    .option('--threshold <metric:expr>', 'add an SLO threshold, e.g. \'delivery_latency{qos:1}:p(99)<100\' (repeatable)', collect, [] as string[])
    .option('--live <n>', 'cycle: sessions live at once at most (default 200)')
    .option('--messages <n>', 'cycle: messages each device publishes and receives back per visit, 0 to 8 (default 2)')
    .option('--qos1-share <f>', 'cycle: the share of those messages sent at QoS 1, 0 to 1 (default 0.5)')
    .option('--cycles <n>', 'cycle: passes over all identities (default 1)')
    .option('--dwell <s>', 'cycle: seconds a device stays after its messages are back (default 0.2)')
    .option('--no-progress', 'no progress line on stderr')
    .option('--keep-devices', 'do not delete the devices created through the API')
    .option('--report-dir <dir>', 'write the reports here instead of reports/<run-id>')
    .action(async (scenario: string | undefined, opts: import('./load-command.js').LoadCliOptions) => {
      const { loadCommand } = await import('./load-command.js');
      exitCode = await loadCommand(scenario, opts);
    });

  program.command('provision')
    .description('create --devices devices on a hub through its cloud API (CreateDevice at the documented rate), writing their credentials to FILE as they are made; resumable: rerun to continue after an interruption; --remove deletes them')
    .argument('<file>', 'credentials CSV (productId,deviceName,psk) to write; FILE.state.json beside it records the product')
    .option('--target <file>', 'target descriptor of the hub (required: an embedded hub would vanish with its devices)')
    .option('--devices <n>', 'how many devices')
    .option('--rate <n>', 'cloud API requests per second at most (default 100, the documented CreateDevice rate)')
    .option('--concurrency <n>', 'requests in flight at most (default 16)')
    .option('--product-name <name>', 'name of the product to create (default fleet_<random>)')
    .option('--remove', 'delete every device of the provisioning, its product, FILE and its state file')
    .action(async (file: string, opts: import('./provision-command.js').ProvisionCliOptions) => {
      const { provisionCommand } = await import('./provision-command.js');
      exitCode = await provisionCommand(file, opts);
    });

  const report = program.command('report').description('work with reports: conformance verdicts (diff) and load reports (compare, merge)');
  report.command('diff')
    .description('print the requirements that regressed, improved, appeared or vanished from run A to run B; exits 1 on a regression')
    .argument('<a>', 'the earlier run: a report directory, its results.json, or a certification bundle')
    .argument('<b>', 'the later run, in any of those forms')
    .action(async (a: string, b: string) => {
      const { reportDiffCommand } = await import('./report-diff-command.js');
      exitCode = await reportDiffCommand(a, b);
    });
  report.command('compare')
    .description('print the regressions from load report A (baseline) to B by metric, or the change of every figure between two bench files (reports/bench/*.json); exits 1 when something got worse')
    .argument('<a>', 'baseline load.json or bench file')
    .argument('<b>', 'current load.json or bench file')
    .option('--tolerance <fraction>', 'relative worsening allowed (default 0.1 = 10 %)')
    .option('--floor <n>', 'ignore absolute changes up to this (ms for latencies, counts for counters; default 1)')
    .action(async (a: string, b: string, opts: { tolerance?: string; floor?: string }) => {
      const { reportCompareCommand } = await import('./load-command.js');
      exitCode = await reportCompareCommand(a, b, opts);
    });
  report.command('merge')
    .description('merge shard load reports (HDR histograms add losslessly) and judge the thresholds on the whole')
    .argument('<files...>', 'load.json of each shard')
    .option('--out <dir>', 'write the merged report here')
    .action(async (files: string[], opts: { out?: string }) => {
      const { reportMergeCommand } = await import('./load-command.js');
      exitCode = await reportMergeCommand(files, opts);
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
